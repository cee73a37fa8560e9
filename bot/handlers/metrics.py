"""Metric lookups in chat: catalog metrics, raw PromQL, target status and firing alerts.

Every answer ends with its provenance ("Source: demo data" / "Source: Prometheus"), errors
included. A range answer is a short summary that fits a phone screen plus a chart; an
instant answer is a small table. Empty results say what was asked and what to try next.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from bot.catalog import METRIC_INFO, MetricInfo
from bot.charts import MAX_SERIES, render_line_chart, slug
from bot.config import Settings
from bot.errors import InvalidInput
from bot.formatting import format_ago, format_duration, format_value
from bot.handlers.provenance import with_footer
from bot.handlers.rejected import refuse_rejected
from bot.lookup import NamedSeries, fetch_catalog_series, name_series, step_for
from bot.metric_tables import (
    alert_table,
    down_table,
    plural,
    sample_table,
    summary_table,
)
from bot.model import Chart, Field, Reply, Severity
from bot.ports import Alert, MetricsSource, TargetHealth
from bot.registry import Handler, HandlerSpec, Request
from bot.summary import SeriesSummary, summarise
from bot.targets import TargetResolver, matches_target, strip_port, target_names, unknown_target
from intents.model import METRICS, IntentName

TABLE_ROWS = 10
_MAX_RANGE = 90 * 86400
_RANGE_EXAMPLES, _MOST = "30m, 2h or 1d", "90 days"

Ranked = list[tuple[NamedSeries, SeriesSummary]]


def metric_specs(
    metrics: MetricsSource, settings: Settings, *, clock: Callable[[], float] = time.time
) -> list[HandlerSpec]:
    """The handlers for ``metric_query``, ``promql``, ``status`` and ``alerts_list``."""
    handlers = MetricHandlers(metrics, settings, clock=clock)
    aggregate = (
        "promql avg by (job) (cpu_usage_percent)"
        if metrics.is_demo
        else "promql sum by (job) (rate(http_requests_total[5m]))"
    )
    return [
        HandlerSpec(
            intent=IntentName.METRIC_QUERY,
            topic="metrics",
            summary=f"A metric ({', '.join(METRICS)}) for a target or all of them, with a chart.",
            examples=(
                "cpu of web-1 over the last 2h",
                "memory db-primary 24h",
                "p95 latency of checkout-api",
                "error rate",
            ),
            handler=handlers.guard(handlers.metric_query),
        ),
        HandlerSpec(
            intent=IntentName.PROMQL,
            topic="promql",
            summary="Run a PromQL expression: a table of the values now, a chart over a range.",
            examples=("promql up", "promql up == 0", aggregate),
            handler=handlers.guard(handlers.promql),
        ),
        HandlerSpec(
            intent=IntentName.STATUS,
            topic="status",
            summary="Which targets are down, or whether one target is up.",
            examples=("what's down?", "status web-1", "is payments up?"),
            handler=handlers.guard(handlers.status),
        ),
        HandlerSpec(
            intent=IntentName.ALERTS_LIST,
            topic="alerts",
            summary="The alerts firing now, by severity or target.",
            examples=("what alerts are firing?", "critical alerts", "alerts on db-primary"),
            handler=handlers.guard(handlers.alerts_list),
        ),
    ]


class MetricHandlers:
    """The four lookups over one metrics source; ``clock`` is the source's notion of now."""

    def __init__(
        self, source: MetricsSource, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._source = source
        self._settings = settings
        self._clock = clock
        self._resolver = TargetResolver(source)
        self._footer = f"Source: {source.description}"

    def guard(self, handler: Handler) -> Handler:
        """``handler`` with the source named in its user errors too."""
        return with_footer(handler, self._footer)

    # ----------------------------------------------------------------------- metric_query

    async def metric_query(self, request: Request) -> Reply:
        refuse_rejected(request.intent, examples=_RANGE_EXAMPLES, most=_MOST)
        slots = request.intent.slots
        info = METRIC_INFO[_metric(slots)]
        target = str(slots["target"]) if "target" in slots else None
        span = self._range(slots)
        end = self._clock()
        lookup = await fetch_catalog_series(
            self._source,
            info.name,
            target,
            end - span,
            end,
            step_for(span),
            resolver=self._resolver,
        )
        ranked = _ranked(lookup.series, end, _stale_after(lookup.step))
        if not ranked:
            return self._empty_metric(info, target, span, lookup.expr)
        who = lookup.target.name if lookup.target else "all targets"
        title = f"{info.title} · {who} · last {format_duration(span)}"
        chart = await self._chart(title, ranked, span, end, info=info, name=f"{info.name}-{who}")
        if len(ranked) == 1:
            body = self._one_series(info, ranked[0][1], span, end, lookup.step)
        else:
            summaries = [s for _, s in ranked]
            body = self._many_series(info, summaries, span, target, (end, lookup.step))
        return Reply(
            title=title,
            text=body.text,
            fields=body.fields,
            table=body.table,
            charts=(chart,),
            footer=self._footer,
        )

    def _one_series(
        self, info: MetricInfo, summary: SeriesSummary, span: float, end: float, step: float
    ) -> Reply:
        now = format_value(summary.now, info.unit)
        trend = f"{summary.trend.describe()} over the last {format_duration(span)}"
        stale = end - summary.now_at > _stale_after(step)
        if stale:
            text = (
                f"{info.title} of {summary.name} was {now} at its latest sample, "
                f"{format_ago(summary.now_at, end)}, with nothing since: is it down? "
                f"Try `status {summary.name}`. Trend: {trend}."
            )
        else:
            text = f"{info.title} of {summary.name} is {now} now; {trend}."
        fields = (
            Field("Latest" if stale else "Now", now),
            Field("Min", format_value(summary.minimum, info.unit)),
            Field("Max", format_value(summary.maximum, info.unit)),
            Field("Avg", format_value(summary.average, info.unit)),
            Field("Trend", summary.trend.describe()),
        )
        return Reply(text=text, fields=fields)

    def _many_series(
        self,
        info: MetricInfo,
        summaries: list[SeriesSummary],
        span: float,
        target: str | None,
        at: tuple[float, float],
    ) -> Reply:
        scope = f"of {target}" if target else "by target"
        text = f"{info.title} {scope} over the last {format_duration(span)}, highest now first"
        if len(summaries) > MAX_SERIES:
            text += f" (top {MAX_SERIES} of {len(summaries)}; name one for details)"
        end, step = at
        table = summary_table(
            summaries[:MAX_SERIES], info.unit, "target", as_of=end, stale_after=_stale_after(step)
        )
        return Reply(text=text + ".", table=table)

    def _empty_metric(self, info: MetricInfo, target: str | None, span: float, expr: str) -> Reply:
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
            text=f"No {info.title} data {scope}in the last {format_duration(span)}.",
            fields=(Field("Try", "; ".join(tries)),),
            code=expr,
            severity=Severity.WARNING,
            footer=self._footer,
        )

    # ----------------------------------------------------------------------- promql

    async def promql(self, request: Request) -> Reply:
        refuse_rejected(request.intent, examples=_RANGE_EXAMPLES, most=_MOST)
        slots = request.intent.slots
        expr = str(slots.get("expr", "")).strip()
        if not expr:
            raise InvalidInput(
                "Which expression should I run?",
                hint="For example `promql up` or `promql up == 0`.",
            )
        if "range" in slots:
            return await self._promql_range(expr, self._range(slots))
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

    async def _promql_range(self, expr: str, span: float) -> Reply:
        end = self._clock()
        raw = await self._source.query_range(expr, end - span, end, step_for(span))
        named = name_series([s for s in raw if s.values], self._source.target_labels)
        ranked = _ranked(named, end, _stale_after(step_for(span)))
        if not ranked:
            return self._no_series(expr, f"in the last {format_duration(span)}")
        title = f"PromQL · last {format_duration(span)}"
        chart = await self._chart(title, ranked, span, end, name="promql")
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

    # ----------------------------------------------------------------------- status

    async def status(self, request: Request) -> Reply:
        every = await self._source.targets()
        wanted = request.intent.slots.get("target")
        targets = every if wanted is None else self._health_of(str(wanted), every)
        down = [t for t in targets if not t.up]
        if not down:
            text = (
                f"All {len(targets)} targets are up."
                if wanted is None
                else f"{wanted} is up ({plural(len(targets), 'target')})."
            )
            return Reply(title="Status", text=text, severity=Severity.SUCCESS, footer=self._footer)
        return Reply(
            title="Status",
            text=(
                f"{plural(len(down), 'target')} down, "
                f"{len(targets) - len(down)} of {len(targets)} up."
            ),
            table=down_table(down),
            severity=Severity.CRITICAL,
            footer=self._footer,
        )

    def _health_of(self, name: str, every: list[TargetHealth]) -> list[TargetHealth]:
        labels = self._source.target_labels
        found = [t for t in every if matches_target(_health_labels(t), name, labels)]
        if not found:
            known = {n for t in every for n in target_names(_health_labels(t), labels)}
            raise unknown_target(name, {n for n in known if n == strip_port(n)})
        return found

    # ----------------------------------------------------------------------- alerts

    async def alerts_list(self, request: Request) -> Reply:
        slots = request.intent.slots
        severity = str(slots["severity"]).lower() if "severity" in slots else None
        target = str(slots["target"]) if "target" in slots else None
        if target is not None:
            target = (await self._resolver.resolve(target)).name
        labels = self._source.target_labels
        alerts = [a for a in await self._source.alerts() if _wanted(a, severity, target, labels)]
        firing = [a for a in alerts if a.state == "firing"]
        pending = sum(1 for a in alerts if a.state == "pending")
        note = f" ({plural(pending, 'alert')} pending)" if pending else ""
        if not firing:
            scope = " ".join(p for p in (severity, "alerts", f"on {target}" if target else "") if p)
            return Reply(
                title="Alerts",
                text=f"No {scope} are firing.{note}",
                severity=Severity.SUCCESS,
                footer=self._footer,
            )
        critical = any(a.severity == "critical" for a in firing)
        return Reply(
            title="Alerts",
            text=f"{plural(len(firing), 'alert')} firing{note}.",
            table=alert_table(firing, self._clock(), labels),
            severity=Severity.CRITICAL if critical else Severity.WARNING,
            footer=self._footer,
        )

    # ----------------------------------------------------------------------- shared

    def _range(self, slots: Mapping[str, object]) -> float:
        raw = slots.get("range", self._settings.file.default_range_seconds)
        try:
            span = int(str(raw))
        except ValueError:
            raise InvalidInput(f"'{raw}' is not a time range.", hint="Try `2h` or `30m`.") from None
        if not 60 <= span <= _MAX_RANGE:
            raise InvalidInput(
                "I can look back between 1 minute and 90 days.", hint="Try `2h` or `7d`."
            )
        return float(span)

    async def _chart(
        self,
        title: str,
        ranked: Ranked,
        span: float,
        end: float,
        *,
        name: str,
        info: MetricInfo | None = None,
    ) -> Chart:
        duration = format_duration(span)
        alt = None
        if info is not None:
            parts = [f"{s.name} {s.headline(info.unit)}" for _, s in ranked[:MAX_SERIES]]
            alt = f"{info.title} over the last {duration}: " + "; ".join(parts)
        return await render_line_chart(
            title,
            [named for named, _ in ranked],
            unit=info.unit if info else "",
            y_label=info.title if info else "",
            window=(end - span, end),
            filename=f"{slug(f'{name}-{duration}')}.png",
            alt_text=alt,
        )


def _metric(slots: Mapping[str, object]) -> str:
    metric = str(slots.get("metric", ""))
    if metric not in METRICS:
        asked = f"'{metric}' is not a metric I know." if metric else "Which metric?"
        raise InvalidInput(asked, hint=f"I know {', '.join(METRICS)}, e.g. `cpu of web-1`.")
    return metric


def _ranked(series: Sequence[NamedSeries], end: float, stale_after: float) -> Ranked:
    """Series with data, current ones first, each group by highest latest value."""
    pairs = [(named, summary) for named in series if (summary := summarise(*named))]
    return sorted(pairs, key=lambda p: (end - p[1].now_at > stale_after, -p[1].now, p[1].name))


def _stale_after(step: float) -> float:
    """A latest sample older than this (three steps, at least 5 min) means "no data since"."""
    return max(3 * step, 300.0)


def _health_labels(target: TargetHealth) -> dict[str, str]:
    return {**target.labels, "instance": target.name, "job": target.job}


def _wanted(
    alert: Alert, severity: str | None, target: str | None, target_labels: Sequence[str]
) -> bool:
    if severity is not None and alert.severity.lower() != severity:
        return False
    return target is None or matches_target(alert.labels, target, target_labels)
