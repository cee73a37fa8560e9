"""Raw PromQL: ``promql up`` is a table of the values now; with a range or a window
(``promql rate(x[5m]) over 2h``, ``... yesterday``) a chart of each series."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.core.charts import MAX_SERIES, ChartCache, render_line_chart, slug, window_key
from bot.core.errors import InvalidInput
from bot.core.model import Field, Reply, Severity
from bot.core.notes import time_note, with_note
from bot.core.registry import Request
from bot.features.metrics.lookup import name_series
from bot.features.metrics.ports import MetricsSource
from bot.features.metrics.queries import ranked_series
from bot.features.metrics.tables import sample_table, summary_table
from bot.features.metrics.windows import Asked, asked_window

TABLE_ROWS = 10


class PromqlQueries:
    """Answers ``promql`` from one source; ``clock`` is the source's notion of now."""

    def __init__(
        self,
        source: MetricsSource,
        default_range_seconds: float,
        *,
        clock: Callable[[], float] = time.time,
        charts: ChartCache | None = None,
    ) -> None:
        self._source = source
        self._default = float(default_range_seconds)
        self._charts = charts or ChartCache()
        self._clock = clock
        self._footer = f"Source: {source.description}"

    async def promql(self, request: Request) -> Reply:
        slots = request.intent.slots
        expr = str(slots.get("expr", "")).strip()
        if not expr:
            raise InvalidInput(
                "Which expression should I run?",
                hint="For example `promql up` or `promql up == 0`.",
            )
        if any(k in slots for k in ("range", "start")):
            asked = asked_window(slots, self._clock(), self._default)
            reply = await self._over(expr, asked)
            return with_note(reply, time_note(request.intent, asked.label))
        return with_note(await self._now(expr), time_note(request.intent, "the values now"))

    async def _now(self, expr: str) -> Reply:
        samples = await self._source.query(expr)
        if not samples:
            return self._no_series(expr, "right now")
        text = f"{len(samples)} series" + (
            f", the {TABLE_ROWS} highest shown (and {len(samples) - TABLE_ROWS} more)."
            if len(samples) > TABLE_ROWS
            else "."
        )
        table = sample_table(samples, self._source.target_labels, TABLE_ROWS)
        return Reply(title="PromQL", text=text, code=expr, table=table, footer=self._footer)

    async def _over(self, expr: str, asked: Asked) -> Reply:
        raw = await self._source.query_range(expr, asked.window)
        named = name_series([s for s in raw if s.values], self._source.target_labels)
        ranked = ranked_series(named, asked, "")
        if not ranked:
            return self._no_series(expr, f"({asked.label})")
        title = f"PromQL · {asked.label}"
        window = asked.window
        names = tuple(named[0] for named, _ in ranked)
        key = ("promql", expr, title, names, window_key(window.start, window.end, window.step))
        chart = await self._charts.chart(
            key,
            lambda: render_line_chart(
                title,
                [named for named, _ in ranked],
                unit="",
                y_label="",
                window=(window.start, window.end),
                filename=f"{slug(f'promql-{asked.label}')}.png",
            ),
        )
        more = f" (top {MAX_SERIES} of {len(ranked)})" if len(ranked) > MAX_SERIES else ""
        return Reply(
            title=title,
            text=f"{len(ranked)} series, highest now first{more}.",
            code=expr,
            table=summary_table([s for _, s in ranked[:MAX_SERIES]], "", "series"),
            charts=(chart,),
            footer=self._footer,
        )

    def _no_series(self, expr: str, when: str) -> Reply:
        return Reply(
            title="PromQL: no series",
            text=f"The expression returned no series {when}.",
            fields=(Field("Try", "check metric and label names; `promql up` lists every target"),),
            code=expr,
            severity=Severity.WARNING,
            footer=self._footer,
        )
