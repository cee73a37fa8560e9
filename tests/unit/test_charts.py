"""Charts: PNG line charts sized for a phone, at most six lines, optional shaded spans."""

from __future__ import annotations

import asyncio
import struct
import threading
from collections.abc import Awaitable, Callable

import pytest

from bot.core import charts
from bot.core.charts import (
    MAX_SERIES,
    ChartCache,
    draw_line_chart,
    render_line_chart,
    slug,
    window_key,
)
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


async def test_render_runs_in_a_worker_thread() -> None:
    """The async variant draws off the event loop's thread and gives the same image."""
    readers: set[int] = set()
    chart = await render_line_chart("t", [("web-1", WatchedSeries(readers))], alt_text="x")
    assert readers
    assert threading.get_ident() not in readers
    assert chart.png == draw_line_chart("t", [ramp("web-1")], alt_text="x").png


class WatchedSeries:
    """A series that notes which thread reads its values (the one that draws it)."""

    def __init__(self, readers: set[int]) -> None:
        self._series = ramp("web-1")[1]
        self._readers = readers

    @property
    def timestamps(self) -> tuple[float, ...]:
        return tuple(self._series.timestamps)

    @property
    def values(self) -> tuple[float, ...]:
        self._readers.add(threading.get_ident())
        return tuple(self._series.values)


async def test_charts_asked_for_at_once_are_all_drawn_on_one_thread() -> None:
    """Every chart is drawn on the one chart thread, never on the loop's: threads that draw
    each grow a malloc arena of their own, and drawing is serial anyway."""
    readers: set[int] = set()
    drawn = await asyncio.gather(
        *(render_line_chart(f"t{i}", [("web-1", WatchedSeries(readers))]) for i in range(6))
    )
    assert len({chart.title for chart in drawn}) == 6
    assert len(readers) == 1
    assert threading.get_ident() not in readers


async def test_asking_for_a_chart_while_one_is_drawn_leaves_the_loop_free() -> None:
    """A drawing in progress holds matplotlib's lock; handing the next one to the chart
    thread must not wait for that lock on the event loop."""
    held, loop_ran = threading.Event(), threading.Event()
    seen: list[bool] = []

    def drawing_in_progress() -> None:
        with charts._LOCK:
            held.set()
            seen.append(loop_ran.wait(timeout=5))

    holder = threading.Thread(target=drawing_in_progress)
    holder.start()
    await asyncio.to_thread(held.wait)
    chart = asyncio.create_task(render_line_chart("next", [ramp("web-1")]))
    await asyncio.sleep(0)  # the task hands its drawing over, then the loop goes on
    loop_ran.set()
    await asyncio.to_thread(holder.join)
    assert seen == [True]
    assert (await chart).title == "next"


def test_slug() -> None:
    """File names keep letters, digits, dots and dashes."""
    assert slug("Latency p95 · checkout-api · last 6h") == "latency-p95-checkout-api-last-6h"
    assert slug("···") == "chart"


@pytest.mark.parametrize(
    ("values", "unit"),
    [((0.0, 3.0), "%"), ((-12_345.5, 98_765.25), ""), ((0.001, 0.0042), "s"), ((1e9, 9e9), "B")],
)
def test_every_label_fits_inside_the_picture(values: tuple[float, float], unit: str) -> None:
    """The worked-out margins leave the title, the tick labels (the widest ones included)
    and both axis labels inside the 800x400 picture, as ``tight_layout`` did."""
    low, high = values
    times = tuple(1_700_000_000.0 + 60 * i for i in range(60))
    line = Series({}, times, tuple(low + (high - low) * i / 59 for i in range(60)))
    layout = charts._Layout("Disk · db-primary · last 24h", "Disk", 1.0, None, False, 1)
    figure = charts._figure(layout, [("db-primary", line)], ())
    box = figure.get_tightbbox(figure.canvas.get_renderer())
    x0, y0, x1, y1 = (v * charts.DPI for v in box.extents)
    assert min(x0, y0) >= 0
    assert x1 <= charts.WIDTH_PX
    assert y1 <= charts.HEIGHT_PX


async def test_a_chart_asked_for_at_once_by_many_is_drawn_once() -> None:
    """Twenty requests for one key while it is being drawn wait for that one drawing."""
    cache = ChartCache(clock=lambda: 0.0)
    drawn: list[int] = []
    release = asyncio.Event()

    async def draw() -> Chart:
        drawn.append(1)
        await release.wait()
        return Chart("cpu", b"png", "cpu.png", "cpu")

    waiting = [asyncio.create_task(cache.chart("cpu", draw)) for _ in range(20)]
    await asyncio.sleep(0)
    release.set()
    shown = await asyncio.gather(*waiting)
    assert drawn == [1]
    assert {id(chart) for chart in shown} == {id(shown[0])}


async def test_a_kept_chart_expires_and_another_key_is_drawn_anew() -> None:
    """A key is drawn again once its chart is older than the ttl; another key, including the
    same question a step later, is its own drawing; at most ``size`` charts are kept."""
    now = [0.0]
    cache = ChartCache(ttl=60, size=2, clock=lambda: now[0])
    drawn: list[str] = []

    def drawing(name: str) -> Callable[[], Awaitable[Chart]]:
        async def draw() -> Chart:
            drawn.append(name)
            return Chart(name, b"png", f"{name}.png", name)

        return draw

    first = ("cpu", window_key(0, 7200, 30))
    await cache.chart(first, drawing("a"))
    now[0] = 29.0
    await cache.chart(("cpu", window_key(29, 7229, 30)), drawing("same step"))
    await cache.chart(("cpu", window_key(31, 7231, 30)), drawing("next step"))
    now[0] = 61.0
    await cache.chart(first, drawing("expired"))
    assert drawn == ["a", "next step", "expired"]
    assert len(cache) == 2


async def test_a_failed_drawing_is_not_kept() -> None:
    """A drawing that raised is tried again by the next request."""
    cache = ChartCache(clock=lambda: 0.0)

    async def broken() -> Chart:
        raise RuntimeError("matplotlib fell over")

    async def fine() -> Chart:
        return Chart("cpu", b"png", "cpu.png", "cpu")

    with pytest.raises(RuntimeError):
        await cache.chart("cpu", broken)
    assert (await cache.chart("cpu", fine)).png == b"png"
