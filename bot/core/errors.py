"""Errors of SmartCloudOps.

The tree::

    SmartCloudOpsError
    ├── UserError            text meant for the chat user ("unknown target 'web-9' ...")
    │   ├── NotFoundError    an unknown target, metric, alert or request
    │   └── InvalidInput     malformed input: bad PromQL, out-of-range number, bad duration
    ├── ConfigError          bad or missing configuration; names the offending key
    ├── DependencyError      a backend (Prometheus, Redis, database, ...) is down or too slow
    │   └── Overloaded       the bot itself has too many calls to a backend in flight: "busy,
    │                        try again", not the backend's fault
    └── AdapterError         a platform SDK or API failed; raised ``from`` the SDK exception

A ``UserError``'s message is shown to the user as is. Anything else is logged with a
correlation id and the user sees a short apology quoting that id, never a traceback.
"""

from __future__ import annotations


class SmartCloudOpsError(Exception):
    """Root of every error this project raises on purpose."""


class UserError(SmartCloudOpsError):
    """An error whose message is written for the chat user, with what to do next.

    ``candidates`` are the known target names that fit what the user typed ("web" for
    ``web-1`` and ``web-2``, a near miss): the dispatcher offers the same command with each
    of them ("Which target?"), so nobody has to retype it and nothing is guessed."""

    def __init__(
        self, message: str, *, hint: str | None = None, candidates: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.candidates = candidates


class NotFoundError(UserError):
    """Something the user named does not exist (target, metric, alert, request)."""


class InvalidInput(UserError):
    """The user's input is malformed or out of bounds."""


class ConfigError(SmartCloudOpsError):
    """Configuration is missing or invalid; the message names the key."""


class DependencyError(SmartCloudOpsError):
    """A backend the bot depends on is unreachable, failing or too slow.

    ``dependency`` is the short name shown in ``/readyz`` and in the bot's metrics.
    The message is safe to show to a user (no secrets, no URLs with credentials).
    """

    def __init__(self, dependency: str, message: str) -> None:
        super().__init__(message)
        self.dependency = dependency
        self.message = message


class AdapterError(SmartCloudOpsError):
    """A chat platform's SDK or API failed."""


BUSY_MESSAGE = "I'm handling too many questions right now; try again in a few seconds."


class Overloaded(DependencyError):
    """The bot, not the backend, is the bottleneck: every slot for calls to ``dependency`` is
    taken and none came free within a short wait.

    A subclass of :class:`DependencyError` so that whatever degrades without a backend
    (scheduled jobs, autocomplete, health sections) degrades the same way; the dispatcher
    answers it with :data:`BUSY_MESSAGE` and counts it as ``busy``, never as the backend's
    failure.
    """

    def __init__(self, dependency: str, message: str = BUSY_MESSAGE) -> None:
        super().__init__(dependency, message)
