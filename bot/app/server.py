"""The one aiohttp server: health, readiness and metrics, plus whatever routes the configured
platform adapters and webhooks mount on it (``WebPlugin``s from the composition root).

Every request is one turn with its own correlation id (:mod:`bot.core.correlation`), which
the chat message or Alertmanager notification it carries keeps, and ends with one access-log
line (logger ``smartcloudops.access``): method, path, status and latency in milliseconds.
Never the query string, headers or body: they carry tokens, signatures and user text.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.app.plugins import DependencyCheck, WebPlugin
from bot.app.version import installed_version
from bot.core.correlation import correlated
from bot.core.errors import DependencyError
from bot.core.telemetry import Telemetry

__all__ = ["DependencyCheck", "WebPlugin", "build_web_app", "check_dependencies"]

log = logging.getLogger(__name__)
access_log = logging.getLogger("smartcloudops.access")

READINESS_TIMEOUT_SECONDS = 3.0
#: Longer paths are cut in the access log (a scanner's junk URL is not worth a huge line).
LOGGED_PATH_CHARS = 200
#: The status logged for a request whose client went away before the answer (nginx's).
CLIENT_CLOSED = 499

TELEMETRY_KEY = web.AppKey("telemetry", Telemetry)
CHECKS_KEY = web.AppKey("checks", tuple)


def build_web_app(
    telemetry: Telemetry,
    checks: Sequence[DependencyCheck],
    plugins: Sequence[WebPlugin] = (),
) -> web.Application:
    """The aiohttp application with the built-in routes and each plugin's routes."""
    app = web.Application(client_max_size=2 * 1024 * 1024, middlewares=[_access_log])
    telemetry.build_info.labels(installed_version()).set(1)
    app[TELEMETRY_KEY] = telemetry
    app[CHECKS_KEY] = tuple(checks)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/metrics", _metrics)
    for plugin in plugins:
        plugin(app)
    return app


@web.middleware
async def _access_log(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Run the request as a new turn and log one line for it when it is done. A route that
    crashes is logged here, inside the turn, and answers 500 with the turn's ``ref``."""
    with correlated(fresh=True) as cid:
        started = time.perf_counter()
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            _log_access(request, exc.status, started)
            raise
        except asyncio.CancelledError:
            _log_access(request, CLIENT_CLOSED, started)
            raise
        except Exception:
            log.exception("%s %s failed", request.method, request.path[:LOGGED_PATH_CHARS])
            response = web.json_response({"error": "internal error", "ref": cid}, status=500)
        _log_access(request, response.status, started)
        return response


def _log_access(request: web.Request, status: int, started: float) -> None:
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    path = request.path[:LOGGED_PATH_CHARS]
    access_log.info(
        "%s %s %d %.1f ms", request.method, path, status, latency_ms,
        extra={"method": request.method, "path": path, "status": status,
               "latency_ms": latency_ms},
    )  # fmt: skip


async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    """Every configured dependency; with ``?scope=serving`` only what serving needs, so an
    upstream outage (Redis, Prometheus, Alertmanager) does not take every replica out of a
    Kubernetes Service while each answer degrades on its own."""
    checks: tuple[DependencyCheck, ...] = request.app[CHECKS_KEY]
    scope = request.query.get("scope", "all")
    if scope not in ("all", "serving"):
        refusal = {"status": "bad request", "error": "scope is 'all' (the default) or 'serving'"}
        return web.json_response(refusal, status=400)
    if scope == "serving":
        checks = tuple(check for check in checks if check.serving)
    states = await check_dependencies(request.app[TELEMETRY_KEY], checks)
    ready = all(state == "ok" for state in states.values())
    body = {"status": "ready" if ready else "not ready", "dependencies": states}
    return web.json_response(body, status=200 if ready else 503)


async def check_dependencies(
    telemetry: Telemetry, checks: Sequence[DependencyCheck]
) -> dict[str, str]:
    """Each dependency's state (``ok`` or ``down: why``), checked at once, recorded in
    ``smartcloudops_dependency_up`` (and failures counted)."""
    results = await asyncio.gather(*(_run_check(c) for c in checks))
    states = dict(zip((c.name for c in checks), results, strict=True))
    for name, state in states.items():
        telemetry.dependency_up.labels(name).set(1 if state == "ok" else 0)
        if state != "ok":
            telemetry.dependency_failures.labels(name).inc()
    return states


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
