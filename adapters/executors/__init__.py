"""Action executors for guarded remediation: Kubernetes (official client), signed HTTP
webhooks, and local command runbooks. Each implements
:class:`bot.features.remediation.ports.ActionExecutor`; :func:`open_executors` builds them from the
policy."""

from adapters.executors.factory import open_executors

__all__ = ["open_executors"]
