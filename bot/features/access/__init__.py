"""Who may use the bot at all: the tenant allowlist (``policy.tenants``)."""
