"""Line charts as PNG, sized and lettered to be read on a phone.

800x400 px, large type, at most :data:`MAX_SERIES` lines (the caller orders the series; the
rest are left out and counted in the legend), units on the y axis, UTC times on the x axis,
optional shaded spans (anomalies, incidents), and for a forecast the expected path (dashed)
in its shaded band with the threshold as a line. Drawing is CPU work done with matplotlib's
object API (no global pyplot state), margins worked out rather than measured:
:func:`render_line_chart` runs it on the one chart thread so the event loop keeps serving; a
lock serialises matplotlib, which is not thread-safe, for callers of :func:`draw_line_chart`.

One thread, not the loop's default executor: drawing is serial anyway (the lock, and the GIL
for most of it), and every thread that draws grows a glibc malloc arena of its own that
keeps its freed pages. Charts spread over the default executor's five threads held four
arenas of 8-20 MiB each and grew them for the whole of a 30-minute soak (``smaps`` of the
embedded server; see ``bench/RESULTS_SLACK.md``).

A :class:`ChartCache` keeps the charts drawn in the last minute by what they show (the
exact question and its window, aligned to its step), so twenty people asking for the same
chart at once cost one drawing.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import io
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ParamSpec, Protocol

from bot.core.formatting import axis_scale
from bot.core.model import Chart

MAX_SERIES = 6
WIDTH_PX, HEIGHT_PX, DPI = 800, 400, 100
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
_SPAN_COLOUR = "#ffb000"
_FORECAST_COLOUR = "#555555"
_THRESHOLD_COLOUR = "#d62728"
#: Margins in pixels at :data:`DPI` for the type sizes of :func:`_style` (what
#: ``tight_layout`` gives them): room for the y label and padding, plus per character of the
#: widest y tick label; the title; the x tick labels and the x label; the last x tick label.
_LEFT_PX, _TICK_CHAR_PX, _TOP_PX, _BOTTOM_PX, _RIGHT_PX = 60, 9, 42, 64, 36


class Line(Protocol):
    """What a chart draws of a series (the metrics feature's ``Series`` is one)."""

    @property
    def timestamps(self) -> Sequence[float]: ...
    @property
    def values(self) -> Sequence[float]: ...


class Band(Protocol):
    """What a chart draws of a forecast (the forecast feature's ``ForecastPath`` is one)."""

    @property
    def timestamps(self) -> Sequence[float]: ...
    @property
    def mean(self) -> Sequence[float]: ...
    @property
    def lower(self) -> Sequence[float]: ...
    @property
    def upper(self) -> Sequence[float]: ...
    @property
    def coverage(self) -> float: ...


NamedLine = tuple[str, Line]


@dataclass(frozen=True, slots=True)
class Outlook:
    """A forecast drawn after the history: its path and band, and the threshold asked
    about (None: none)."""

    path: Band
    threshold: float | None = None


P = ParamSpec("P")
_LOCK = threading.Lock()
_DRAWER = ThreadPoolExecutor(1, thread_name_prefix="chart")  # its thread starts at the first chart


def draw_line_chart(
    title: str,
    series: Sequence[NamedLine],
    *,
    unit: str = "",
    y_label: str = "",
    spans: Sequence[tuple[float, float]] = (),
    window: tuple[float, float] | None = None,
    filename: str | None = None,
    alt_text: str | None = None,
    outlook: Outlook | None = None,
) -> Chart:
    """One line per series (the first :data:`MAX_SERIES`), ``spans`` shaded, as a PNG chart.

    ``window`` (start, end) fixes the time axis to the range asked for, so a series that
    stopped early shows its gap. With a ``unit``, non-negative data is drawn from zero, so a
    wobble of 1 % does not look like a cliff.
    """
    shown = list(series[:MAX_SERIES])
    all_values = [v for _, s in shown for v in s.values]
    if outlook is not None:
        all_values += [*outlook.path.upper, *outlook.path.lower]
        all_values += [outlook.threshold] if outlook.threshold is not None else []
    divisor, axis_unit = axis_scale(all_values, unit)
    layout = _Layout(
        title=title,
        y_label=_axis_label(y_label, axis_unit),
        divisor=divisor,
        window=window,
        from_zero=bool(unit) and min(all_values, default=0.0) >= 0,
        total=len(series),
    )
    with _LOCK:
        png = _draw(layout, shown, spans, outlook)
    names = ", ".join(name for name, _ in shown)
    return Chart(
        title=title,
        png=png,
        filename=filename or f"{slug(title)}.png",
        alt_text=alt_text or f"Line chart: {title} ({names or 'no data'})",
    )


def _on_chart_thread(draw: Callable[P, Chart]) -> Callable[P, Awaitable[Chart]]:
    """``draw`` run on the one chart thread, with the caller's context (its log lines keep
    the turn's correlation id)."""

    async def drawn(*args: P.args, **kwargs: P.kwargs) -> Chart:
        call = functools.partial(draw, *args, **kwargs)
        in_context = contextvars.copy_context().run
        return await asyncio.get_running_loop().run_in_executor(_DRAWER, in_context, call)

    return drawn


render_line_chart = _on_chart_thread(draw_line_chart)
""":func:`draw_line_chart` on the chart thread."""


class ChartCache:
    """Charts drawn recently, by a key naming exactly what they show; one drawing per key.

    A key is the question (title, query, series) plus its window aligned to its step
    (:func:`window_key`): within one step the data can differ only in its last point, so a
    chart up to one step old is the same picture. Requests for a key being drawn wait for that
    drawing. A drawing that fails is not kept. At most ``size`` charts, each for at most
    ``ttl`` seconds.
    """

    def __init__(
        self, *, ttl: float = 60.0, size: int = 32, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._held: OrderedDict[Hashable, tuple[float, asyncio.Future[Chart]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._held)

    async def chart(self, key: Hashable, draw: Callable[[], Awaitable[Chart]]) -> Chart:
        """The chart kept for ``key``, else the one ``draw()`` makes (and keeps)."""
        now = self._clock()
        held = self._held.get(key)
        if held is not None and held[0] > now:
            self._held.move_to_end(key)
            drawing = held[1]
        else:
            drawing = asyncio.ensure_future(draw())
            self._held[key] = (now + self._ttl, drawing)
            self._held.move_to_end(key)
            drawing.add_done_callback(lambda done: self._drop_failed(key, done))
            self._trim(now)
        return await asyncio.shield(drawing)

    def _drop_failed(self, key: Hashable, done: asyncio.Future[Chart]) -> None:
        if done.cancelled() or done.exception() is not None:
            held = self._held.get(key)
            if held is not None and held[1] is done:
                del self._held[key]

    def _trim(self, now: float) -> None:
        for key in [k for k, (until, _) in self._held.items() if until <= now]:
            del self._held[key]
        while len(self._held) > self._size:
            self._held.popitem(last=False)


def window_key(start: float, end: float, step: float) -> tuple[float, int]:
    """A window as a cache key: its span and its end in whole steps."""
    return (round(end - start, 3), math.floor(end / step) if step > 0 else round(end))


def slug(text: str) -> str:
    """A file-name-safe version of ``text`` ("CPU · web-1 · 2h" -> "cpu-web-1-2h")."""
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.") or "chart"


def _axis_label(y_label: str, axis_unit: str) -> str:
    if y_label and axis_unit:
        return f"{y_label} ({axis_unit})"
    return y_label or axis_unit


@dataclass(frozen=True, slots=True)
class _Layout:
    title: str
    y_label: str
    divisor: float
    window: tuple[float, float] | None
    from_zero: bool
    total: int


def _draw(
    layout: _Layout,
    series: list[NamedLine],
    spans: Sequence[tuple[float, float]],
    outlook: Outlook | None = None,
) -> bytes:
    buffer = io.BytesIO()
    _figure(layout, series, spans, outlook).savefig(
        buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1}
    )
    return buffer.getvalue()


def _figure(
    layout: _Layout,
    series: list[NamedLine],
    spans: Sequence[tuple[float, float]],
    outlook: Outlook | None = None,
) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for index, (name, data) in enumerate(series):
        values = [v / layout.divisor if math.isfinite(v) else math.nan for v in data.values]
        axes.plot(
            _times(data.timestamps),
            values,
            label=name,
            linewidth=2.2,
            color=_COLOURS[index % len(_COLOURS)],
        )
    for start, end in spans:
        axes.axvspan(*_times((start, end)), color=_SPAN_COLOUR, alpha=0.25, linewidth=0)
    if outlook is not None:
        _draw_outlook(axes, outlook, layout.divisor)
    _style(axes, layout.title, layout.y_label)
    if layout.window is not None:
        axes.set_xlim(*_times(layout.window))
    if layout.from_zero:
        axes.set_ylim(bottom=0)
    if series:
        _legend(axes, len(series), layout.total)
    else:
        axes.text(0.5, 0.5, "no data", transform=axes.transAxes, ha="center", fontsize=16)
    _fit(figure, axes)
    return figure


def _fit(figure: Any, axes: Any) -> None:
    """Margins for the title, the axis labels and the widest y tick label, worked out from
    the type sizes instead of measured by ``tight_layout`` (which lays every text out once
    more: a third of a chart's drawing time)."""
    ticks = axes.yaxis.get_major_formatter().format_ticks(list(axes.get_yticks()))
    widest = max((len(tick) for tick in ticks), default=1)
    left = _LEFT_PX + _TICK_CHAR_PX * widest
    figure.subplots_adjust(
        left=left / WIDTH_PX,
        right=1 - _RIGHT_PX / WIDTH_PX,
        top=1 - _TOP_PX / HEIGHT_PX,
        bottom=_BOTTOM_PX / HEIGHT_PX,
    )


def _draw_outlook(axes: Any, outlook: Outlook, divisor: float) -> None:
    path = outlook.path
    times = _times(path.timestamps)
    low = [v / divisor for v in path.lower]
    high = [v / divisor for v in path.upper]
    label = f"forecast ({path.coverage:.0%} band)"
    axes.fill_between(times, low, high, color=_FORECAST_COLOUR, alpha=0.18, linewidth=0)
    axes.plot(times, [v / divisor for v in path.mean], linestyle="--", linewidth=2.0,
              color=_FORECAST_COLOUR, label=label)  # fmt: skip
    if outlook.threshold is not None:
        axes.axhline(outlook.threshold / divisor, color=_THRESHOLD_COLOUR, linestyle=":",
                     linewidth=1.8, label="threshold")  # fmt: skip


def _style(axes: Any, title: str, y_label: str) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    axes.set_title(title, fontsize=17, fontweight="bold", loc="left")
    axes.set_ylabel(y_label, fontsize=14)
    axes.tick_params(labelsize=12)
    axes.grid(visible=True, alpha=0.3)
    locator = AutoDateLocator(minticks=3, maxticks=6)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.set_xlabel("time (UTC)", fontsize=12)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _legend(axes: Any, shown: int, total: int) -> None:
    """The legend in headroom added above the data, so it never hides a line (``loc="best"``
    would search for a spot, which is slow on long series and moves between charts)."""
    handles, labels = axes.get_legend_handles_labels()
    if total > shown:
        labels[-1] = f"{labels[-1]}  (+{total - shown} more)"
    columns = 1 if shown == 1 else 2 if shown <= 4 else 3
    rows = math.ceil(shown / columns)
    low, high = axes.get_ylim()
    axes.set_ylim(low, high + (high - low) * (0.1 + 0.13 * rows))
    axes.legend(handles, labels, fontsize=12, loc="upper left", framealpha=0.85, ncol=columns)


def _times(timestamps: Sequence[float]) -> Any:
    import numpy as np

    return (np.asarray(timestamps, dtype=float) * 1000).astype("datetime64[ms]")
