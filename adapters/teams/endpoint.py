"""``POST /api/messages``: the Bot Framework endpoint, authenticated before anything runs.

The same steps as botbuilder's ``CloudAdapter.process``, with the status codes made exact:
a body that is not a JSON activity is 400 (415 for another content type), and *any* failure
to authenticate the request is 401 with nothing run (the SDK's own ``process`` lets a
malformed bearer token surface as a 500). With an app id configured, the bearer token must be
a valid Bot Framework token for it, whose ``serviceurl`` claim matches the activity's; with
none (development mode only), the SDK treats the caller as anonymous.

An authenticated activity is acknowledged (202) at once and its turn runs in the background:
the Bot Framework gives a bot 15 seconds to answer the POST and redelivers after that, while
an anomaly scan or a remediation may take longer (the reply goes through the connector
anyway). Invokes and ``expectReplies`` deliveries, whose answer *is* the HTTP response, run
inline. :meth:`MessagesEndpoint.drain` waits for turns in flight, then for the clicks'
answers that outlasted their invoke (server shutdown, tests).

The authorization header, the token and the activity's text are never logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.schema import Activity, ActivityTypes, DeliveryModes

from adapters.teams.bot import TeamsBot

log = logging.getLogger(__name__)

#: How long shutdown waits for turns in flight.
DRAIN_SECONDS = 30.0


class MessagesEndpoint:
    """An aiohttp handler that runs ``bot`` on authenticated activities through ``adapter``."""

    def __init__(self, adapter: Any, bot: TeamsBot) -> None:
        self._adapter = adapter
        self._bot = bot
        self._in_flight: set[asyncio.Task[Any]] = set()

    async def handle(self, request: web.Request) -> web.Response:
        activity = await _activity(request)
        header = request.headers.get("Authorization", "")
        try:
            authenticated = await self._adapter.bot_framework_authentication.authenticate_request(
                activity, header
            )
        except Exception as exc:
            log.warning("teams: refused an unauthenticated activity (%s)", type(exc).__name__)
            raise web.HTTPUnauthorized from None
        if _answered_inline(activity):
            invoke = await self._run(authenticated, activity)
            if invoke is None:
                return web.Response(status=201)
            return web.json_response(_json(invoke.body), status=invoke.status)
        task = asyncio.create_task(self._run(authenticated, activity))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return web.Response(status=202)

    async def drain(self, _: web.Application | None = None) -> None:
        """Wait (up to :data:`DRAIN_SECONDS`) for the turns still running, then for the
        bot's late click answers (:meth:`~adapters.teams.bot.TeamsBot.drain`)."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=DRAIN_SECONDS)
        await self._bot.drain()

    async def _run(self, authenticated: Any, activity: Any) -> Any:
        try:
            return await self._adapter.process_activity(authenticated, activity, self._bot.on_turn)
        except Exception:
            log.exception("teams: activity %s (%s) failed", activity.id, activity.type)
            if _answered_inline(activity):
                raise web.HTTPInternalServerError from None
            return None


def _json(body: Any) -> Any:
    """An invoke response body as JSON: SDK models serialised, plain JSON as it is."""
    if body is None or isinstance(body, dict | list | str | int | float | bool):
        return body
    return serializer_helper(body)


def _answered_inline(activity: Any) -> bool:
    return bool(
        activity.type == ActivityTypes.invoke
        or activity.delivery_mode == DeliveryModes.expect_replies
    )


async def _activity(request: web.Request) -> Any:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send the activity as application/json")
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body is not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body is not an activity object")
    try:
        activity = Activity().deserialize(body)
    except Exception:
        raise web.HTTPBadRequest(text="the body is not a Bot Framework activity") from None
    if not activity.type:
        raise web.HTTPBadRequest(text="the activity has no type")
    return activity
