"""Who may use the bot at all, and for what: the tenant allowlist (``policy.tenants``) and
read grants (``policy.read``)."""
