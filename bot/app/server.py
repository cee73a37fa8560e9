"""The one aiohttp server: health, readiness and metrics, plus whatever routes the configured
platform adapters and webhooks mount on it (``WebPlugin``s from the composition root)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.core.errors import DependencyError
from bot.core.telemetry import Telemetry

log = logging.getLogger(__name__)

WebPlugin = Callable[[web.Application], None]

READINESS_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class DependencyCheck:
    """A configured dependency and how to tell it answers (raise on failure)."""

    name: str
    check: Callable[[], Awaitable[None]]


TELEMETRY_KEY = web.AppKey("telemetry", Telemetry)
CHECKS_KEY = web.AppKey("checks", tuple)


def build_web_app(
    telemetry: Telemetry,
    checks: Sequence[DependencyCheck],
    plugins: Sequence[WebPlugin] = (),
) -> web.Application:
    """The aiohttp application with the built-in routes and each plugin's routes."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[TELEMETRY_KEY] = telemetry
    app[CHECKS_KEY] = tuple(checks)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/metrics", _metrics)
    for plugin in plugins:
        plugin(app)
    return app


async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    telemetry = request.app[TELEMETRY_KEY]
    checks: tuple[DependencyCheck, ...] = request.app[CHECKS_KEY]
    results = await asyncio.gather(*(_run_check(c) for c in checks))
    states = dict(zip((c.name for c in checks), results, strict=True))
    for name, state in states.items():
        telemetry.dependency_up.labels(name).set(1 if state == "ok" else 0)
        if state != "ok":
            telemetry.dependency_failures.labels(name).inc()
    ready = all(state == "ok" for state in states.values())
    body = {"status": "ready" if ready else "not ready", "dependencies": states}
    return web.json_response(body, status=200 if ready else 503)


async def _run_check(check: DependencyCheck) -> str:
    try:
        await asyncio.wait_for(check.check(), READINESS_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"down: no answer within {READINESS_TIMEOUT_SECONDS:.0f}s"
    except DependencyError as exc:
        return f"down: {exc.message}"
    except Exception as exc:
        log.warning("readiness check %s failed: %r", check.name, exc)
        return f"down: {type(exc).__name__}"
    return "ok"


async def _metrics(request: web.Request) -> web.Response:
    telemetry = request.app[TELEMETRY_KEY]
    body = generate_latest(telemetry.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
