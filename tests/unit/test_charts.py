"""Charts: PNG line charts sized for a phone, at most six lines, optional shaded spans."""

from __future__ import annotations

import struct
import threading
from typing import Any

import pytest

from bot.core import charts
from bot.core.charts import MAX_SERIES, draw_line_chart, render_line_chart, slug
from bot.core.model import Chart
from bot.features.metrics.lookup import NamedSeries
from bot.features.metrics.ports import Series


def ramp(name: str, offset: float = 0.0, points: int = 60) -> NamedSeries:
    times = tuple(1_700_000_000.0 + 60 * i for i in range(points))
    return name, Series({"instance": name}, times, tuple(offset + i for i in range(points)))


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_chart_is_an_800_by_400_png_with_title_and_names() -> None:
    """A chart is a PNG of 800x400 px; its file name and alt text come from the title."""
    chart = draw_line_chart("CPU · web-1 · last 2h", [ramp("web-1")], unit="percent", y_label="CPU")
    assert png_size(chart.png) == (800, 400)
    assert chart.filename == "cpu-web-1-last-2h.png"
    assert chart.title == "CPU · web-1 · last 2h"
    assert "web-1" in chart.alt_text


def test_at_most_six_lines_are_drawn() -> None:
    """Beyond six series only the first six are drawn (and named in the alt text)."""
    series = [ramp(f"host-{i}", offset=i) for i in range(MAX_SERIES + 2)]
    chart = draw_line_chart("many", series)
    assert "host-5" in chart.alt_text
    assert "host-6" not in chart.alt_text


def test_shaded_spans_and_window_change_the_picture() -> None:
    """Spans (anomalies) are drawn: the image differs from the same chart without them."""
    series = [ramp("web-1")]
    start = series[0][1].timestamps[10]
    plain = draw_line_chart("t", series, window=(start - 600, start + 7200))
    shaded = draw_line_chart(
        "t", series, spans=[(start, start + 600)], window=(start - 600, start + 7200)
    )
    assert plain.png != shaded.png


def test_empty_chart_still_renders() -> None:
    """No series: a readable "no data" image rather than an error."""
    assert png_size(draw_line_chart("nothing", []).png) == (800, 400)


async def test_render_runs_in_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """The async variant draws off the event loop's thread and gives the same image."""
    threads: list[threading.Thread] = []

    def spy(*args: Any, **kwargs: Any) -> Chart:
        threads.append(threading.current_thread())
        return draw_line_chart(*args, **kwargs)

    monkeypatch.setattr(charts, "draw_line_chart", spy)
    chart = await render_line_chart("t", [ramp("web-1")], alt_text="x")
    assert threads
    assert threads[0] is not threading.current_thread()
    assert chart.png == draw_line_chart("t", [ramp("web-1")], alt_text="x").png


def test_slug() -> None:
    """File names keep letters, digits, dots and dashes."""
    assert slug("Latency p95 · checkout-api · last 6h") == "latency-p95-checkout-api-last-6h"
    assert slug("···") == "chart"
