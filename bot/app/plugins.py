"""What the composition root hands the server: the routes each part mounts (``WebPlugin``) and
the dependencies ``/readyz`` checks (``DependencyCheck``).

Kept apart from :mod:`bot.app.server` so that building the services (which every command does,
``chat`` and ``parse`` included) does not import aiohttp's web server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

WebPlugin = Callable[["web.Application"], None]


@dataclass(frozen=True, slots=True)
class DependencyCheck:
    """A configured dependency and how to tell it answers (raise on failure). ``serving``: the
    bot cannot do its job without it (the database when actions are configured); the others
    only degrade single answers."""

    name: str
    check: Callable[[], Awaitable[None]]
    serving: bool = False
