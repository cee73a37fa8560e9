"""Reading the bot's own metrics the way Prometheus does: ``GET /metrics`` on the real server,
parsed by prometheus_client's own text parser."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.app.server import build_web_app
from bot.core.telemetry import Telemetry


class Scrape:
    """One scrape: every sample, looked up by name and labels."""

    def __init__(self, exposition: str) -> None:
        self.text = exposition
        self._samples = {
            (s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(exposition)
            for s in family.samples
        }

    def value(self, name: str, labels: Mapping[str, str] | None = None) -> float | None:
        """The sample's value, None when the scrape does not have it."""
        return self._samples.get((name, frozenset((labels or {}).items())))

    def count(self, name: str, **labels: str) -> float:
        """A counter's value; 0 when it has not been exposed yet."""
        return self.value(name, labels) or 0.0


async def scrape(telemetry: Telemetry) -> Scrape:
    """``GET /metrics`` from a server over ``telemetry``."""
    async with TestClient(TestServer(build_web_app(telemetry, []))) as client:
        response = await client.get("/metrics")
        assert response.status == 200
        return Scrape(await response.text())
