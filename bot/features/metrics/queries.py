"""Catalog metric questions: "cpu of web-1 over the last 2h", "p99 latency of checkout-api",
"compare cpu of web-1 and web-2", "memory of db-primary yesterday".

A range answer is a short summary that fits a phone screen plus a chart (one chart for a
comparison, every target on it); an answer over every target is a table that says which
targets it has no data from and why (down since when). An absolute window is answered for
exactly that window and says so; a time the parser could not read is noted, not dropped.
Every answer ends with its provenance ("Source: demo data" / "Source: Prometheus").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence

from bot.core.charts import MAX_SERIES, ChartCache, render_line_chart, slug, window_key
from bot.core.errors import InvalidInput
from bot.core.formatting import format_ago, format_value, format_when
from bot.core.model import Chart, Field, Reply, Severity
from bot.core.notes import refuse_rejected_target, time_note, with_footnote, with_note
from bot.core.registry import Request
from bot.features.metrics.catalog import METRIC_INFO, MetricInfo
from bot.features.metrics.lookup import SeriesLookup, fetch_series
from bot.features.metrics.ports import MetricsSource, NamedSeries, TargetHealth
from bot.features.metrics.summary import SeriesSummary, summarise
from bot.features.metrics.tables import summary_table
from bot.features.metrics.targets import TargetDirectory, strip_port
from bot.features.metrics.windows import Asked, asked_window
from intents.model import METRICS, SlotValue

Ranked = list[tuple[NamedSeries, SeriesSummary]]


class MetricQueries:
    """Answers ``metric_query`` from one source; ``clock`` is the source's notion of now."""

    def __init__(
        self,
        source: MetricsSource,
        directory: TargetDirectory,
        default_range_seconds: float,
        *,
        clock: Callable[[], float] = time.time,
        charts: ChartCache | None = None,
    ) -> None:
        self._source = source
        self._directory = directory
        self._charts = charts or ChartCache()
        self._default = float(default_range_seconds)
        self._clock = clock
        self._footer = f"Source: {source.description}"

    async def metric_query(self, request: Request) -> Reply:
        intent = request.intent
        refuse_rejected_target(intent)
        slots = intent.slots
        info = METRIC_INFO[metric_of(slots)]
        asked = asked_window(slots, self._clock(), self._default)
        quantile = _quantile(slots)
        targets = slots.get("targets")
        if isinstance(targets, tuple):
            reply = await self._compare(info, targets, asked, quantile)
        else:
            target = str(slots["target"]) if "target" in slots else None
            reply = await self._one_query(info, target, asked, quantile)
        return with_note(reply, time_note(intent, asked.label))

    async def _one_query(
        self, info: MetricInfo, target: str | None, asked: Asked, quantile: float | None
    ) -> Reply:
        lookup = await fetch_series(
            self._source, self._directory, info.name, target, asked.window, quantile=quantile
        )
        ranked = ranked_series(lookup.series, asked, info.unit)
        if not ranked:
            return self._empty(info, target, asked, lookup.asked)
        who = lookup.target.name if lookup.target else "all targets"
        title = f"{info.titled(quantile)} · {who} · {asked.label}"
        chart = await self._chart(title, ranked, asked, info, f"{info.name}-{who}")
        if len(ranked) == 1:
            body = self._one_series(info, quantile, ranked[0][1], asked)
        else:
            body = self._many_series(info, ranked, asked, target)
            if target is None:
                body = with_footnote(body, await self._left_out(ranked))
        return self._answer(title, body, chart)

    async def _compare(
        self, info: MetricInfo, targets: tuple[str, ...], asked: Asked, quantile: float | None
    ) -> Reply:
        lookups: list[SeriesLookup] = await asyncio.gather(
            *(
                fetch_series(
                    self._source, self._directory, info.name, t, asked.window, quantile=quantile
                )
                for t in targets
            )
        )
        series = tuple(s for lookup in lookups for s in lookup.series)
        ranked = ranked_series(series, asked, info.unit)
        missing = [t for t, lookup in zip(targets, lookups, strict=True) if not lookup.series]
        if not ranked:
            return self._empty(info, " and ".join(targets), asked, lookups[0].asked)
        who = " vs ".join(targets)
        title = f"{info.titled(quantile)} · {who} · {asked.label}"
        chart = await self._chart(title, ranked, asked, info, f"{info.name}-{'-vs-'.join(targets)}")
        body = self._many_series(info, ranked, asked, who)
        if missing:
            body = with_footnote(body, "No data from " + ", ".join(missing) + ".")
        return self._answer(title, body, chart)

    def _answer(self, title: str, body: Reply, chart: Chart) -> Reply:
        return Reply(
            title=title,
            text=body.text,
            fields=body.fields,
            table=body.table,
            charts=(chart,),
            footer=self._footer,
        )

    def _one_series(
        self, info: MetricInfo, quantile: float | None, summary: SeriesSummary, asked: Asked
    ) -> Reply:
        name = info.titled(quantile)
        latest = format_value(summary.now, info.unit)
        trend = f"{summary.trend.describe()} over {asked.label}"
        stale = asked.live and asked.window.end - summary.now_at > stale_after(asked.window.step)
        if stale:
            text = (
                f"{name} of {summary.name} was {latest} at its latest sample, "
                f"{format_ago(summary.now_at, asked.window.end)}, with nothing since: is it "
                f"down? Try `status {summary.name}`. Trend: {trend}."
            )
        elif asked.live:
            text = f"{name} of {summary.name} is {latest} now; {trend}."
        else:
            at = format_when(summary.now_at, self._clock())
            text = f"{name} of {summary.name} was {latest} at {at}; {summary.trend.describe()}."
        fields = (
            Field("Now" if asked.live and not stale else "Latest", latest),
            Field("Min", format_value(summary.minimum, info.unit)),
            Field("Max", format_value(summary.maximum, info.unit)),
            Field("Avg", format_value(summary.average, info.unit)),
            Field("Trend", summary.trend.describe()),
        )
        return Reply(text=text, fields=fields)

    def _many_series(
        self, info: MetricInfo, ranked: Ranked, asked: Asked, who: str | None
    ) -> Reply:
        scope = f"of {who}" if who else "by target"
        text = f"{info.title} {scope}, {asked.label}, highest now first"
        if len(ranked) > MAX_SERIES:
            text += f" (top {MAX_SERIES} of {len(ranked)}; name one for details)"
        table = summary_table(
            [s for _, s in ranked[:MAX_SERIES]],
            info.unit,
            "target",
            as_of=asked.window.end,
            stale_after=stale_after(asked.window.step),
        )
        return Reply(text=text + ".", table=table)

    async def _left_out(self, ranked: Ranked) -> str | None:
        """Which targets the table has no current data from, and why, so a table over "all
        targets" never hides a dead one."""
        shown = {s.name.lower() for _, s in ranked}
        down = [t for t in await self._source.targets() if not t.up]
        missing = [t for t in down if strip_port(t.name).lower() not in shown]
        if not missing:
            return None
        return "Not in the table: " + "; ".join(self._why(t) for t in missing) + "."

    def _why(self, target: TargetHealth) -> str:
        name = strip_port(target.name)
        if target.down_since is None:
            return f"{name} (down)"
        return f"{name} (down since {format_when(target.down_since, self._clock())})"

    def _empty(self, info: MetricInfo, target: str | None, asked: Asked, how: str) -> Reply:
        if target:
            tries = [
                f"`status {target}` to see whether it is scraped",
                f"`{info.name}` alone for every target",
            ]
        else:
            tries = [f"check the `catalog.{info.name}` query in the config"]
        tries.append("a longer range, e.g. `last 24h`")
        scope = f"for {target} " if target else ""
        return Reply(
            title=f"No {info.title} data",
            text=f"No {info.title} data {scope}({asked.label}).",
            fields=(Field("Try", "; ".join(tries)),),
            code=how,
            severity=Severity.WARNING,
            footer=self._footer,
        )

    async def _chart(
        self, title: str, ranked: Ranked, asked: Asked, info: MetricInfo, name: str
    ) -> Chart:
        parts = [f"{s.name} {s.headline(info.unit)}" for _, s in ranked[:MAX_SERIES]]
        window = asked.window
        names = tuple(named[0] for named, _ in ranked)
        key = ("metric", title, name, names, window_key(window.start, window.end, window.step))
        return await self._charts.chart(
            key,
            lambda: render_line_chart(
                title,
                [named for named, _ in ranked],
                unit=info.unit,
                y_label=info.title,
                window=(window.start, window.end),
                filename=f"{slug(f'{name}-{asked.label}')}.png",
                alt_text=f"{info.title}, {asked.label}: " + "; ".join(parts),
            ),
        )


def metric_of(slots: Mapping[str, SlotValue]) -> str:
    """The catalog metric asked about, or a user error listing the catalog."""
    metric = str(slots.get("metric", ""))
    if metric not in METRICS:
        asked = f"'{metric}' is not a metric I know." if metric else "Which metric?"
        raise InvalidInput(asked, hint=f"I know {', '.join(METRICS)}, e.g. `cpu of web-1`.")
    return metric


def ranked_series(series: Sequence[NamedSeries], asked: Asked, unit: str) -> Ranked:
    """Series with data, current ones first, each group by highest latest value."""
    pairs = [(named, summary) for named in series if (summary := summarise(*named, unit))]
    late = stale_after(asked.window.step)
    end = asked.window.end
    return sorted(pairs, key=lambda p: (end - p[1].now_at > late, -p[1].now, p[1].name))


def stale_after(step: float) -> float:
    """A latest sample older than this (three steps, at least 5 min) means "no data since"."""
    return max(3 * step, 300.0)


def _quantile(slots: Mapping[str, SlotValue]) -> float | None:
    value = slots.get("quantile")
    return float(value) if isinstance(value, int | float) else None
