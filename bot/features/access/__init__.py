"""Who may use the bot at all, for what, and how much: the tenant allowlist
(``policy.tenants``), read grants (``policy.read``) and per-person limits on expensive
queries (``policy.limits``)."""
