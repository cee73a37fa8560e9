"""``anomaly_query`` in chat: "anything unusual with checkout-api?", "is anything odd?".

One question runs in three steps:

1. **Fetch** every catalog metric of the target (or just the metric asked for; with no target,
   every target) through the metrics port, over the range asked (default
   :data:`DEFAULT_RANGE_SECONDS`) *plus history*: three times the range and at least a day,
   so the detector judges the range against what was normal before it. Work is bounded: at
   most :data:`MAX_SERIES_PER_METRIC` series per metric; the rest are counted in the answer.
2. **Score** all series in one detector call (the detector runs in a worker thread, off the
   event loop), reporting only spans still running inside the range (``since``).
3. **Answer**: overlapping findings are grouped into episodes (:mod:`bot.features.anomaly.report`);
   the strongest ones are listed (series, how far from normal, since when, still going or
   for how long), what moved together is said in one sentence, and the leading series is
   charted with its anomalous span shaded. Nothing notable: what was checked, over what range.

What is down comes first, always: a target that stopped answering is never summed up as
"nothing stood out". The open question ("anything odd?": no target, no metric) is answered
with everything that needs attention, worst first (:mod:`bot.features.health.overview`: down
targets, critical alerts, disks filling up soon, other alerts), then the anomalies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.core.charts import MAX_SERIES, ChartCache, render_line_chart, slug, window_key
from bot.core.errors import InvalidInput
from bot.core.formatting import format_duration, shorten
from bot.core.model import Chart, Field, Reply, Severity
from bot.core.notes import refuse_rejected_target, time_note, with_note
from bot.core.provenance import with_footer
from bot.core.registry import Handler, HandlerSpec, Request
from bot.features.anomaly.help import DEFAULT_RANGE_SECONDS, anomaly_help, default_range
from bot.features.anomaly.ports import AnomalyDetector, Finding
from bot.features.anomaly.report import (
    Checked,
    Report,
    clock_time,
    join_names,
    metric_label,
    stopped_at,
    when,
)
from bot.features.anomaly.zoom import FINE_STEP, refine
from bot.features.forecast.ports import Forecaster
from bot.features.health.overview import Overview, down_targets, look
from bot.features.metrics.lookup import SeriesLookup, fetch_series, step_for
from bot.features.metrics.ports import AlertSource, MetricsSource, Series, TargetRef, Window
from bot.features.metrics.targets import TargetDirectory, strip_port
from intents.model import METRICS

MIN_RANGE_SECONDS, MAX_RANGE_SECONDS = 300, 7 * 86400
#: History fetched before the range: this many times the range, and at least a day.
HISTORY_FACTOR, MIN_HISTORY_SECONDS = 3, 86400.0
#: About this many samples per series over range + history (a one-minute step for a day).
HISTORY_POINTS = 1440
MAX_SERIES_PER_METRIC = 20
_SEVERITY_RANK = (Severity.SUCCESS, Severity.INFO, Severity.WARNING, Severity.CRITICAL)


def anomaly_specs(
    metrics: MetricsSource,
    anomaly: AnomalyDetector,
    directory: TargetDirectory,
    default_range_seconds: float,
    *,
    alerts: AlertSource | None = None,
    forecaster: Forecaster | None = None,
    clock: Callable[[], float] = time.time,
) -> list[HandlerSpec]:
    """The ``anomaly_query`` handler. Its default range is :data:`DEFAULT_RANGE_SECONDS`, or
    the configured default look-back when that is longer. With ``alerts`` and a
    ``forecaster`` the open question also lists firing alerts and disks filling up soon."""
    handler = AnomalyHandler(
        metrics,
        anomaly,
        directory,
        default_range=default_range(default_range_seconds),
        alerts=alerts,
        forecaster=forecaster,
        clock=clock,
    )
    return [anomaly_help(default_range_seconds).spec(handler.guard(handler.anomaly_query))]


@dataclass(frozen=True, slots=True)
class Question:
    """What was asked: the target (None: every target), the metrics and the range."""

    target: TargetRef | None
    metrics: tuple[str, ...]
    span: float
    end: float

    @property
    def start(self) -> float:
        return self.end - self.span

    @property
    def history_start(self) -> float:
        return self.end - max(HISTORY_FACTOR * self.span, MIN_HISTORY_SECONDS)

    @property
    def step(self) -> int:
        return step_for(self.end - self.history_start, HISTORY_POINTS)

    @property
    def who(self) -> str:
        return self.target.name if self.target else "all targets"

    @property
    def is_open(self) -> bool:
        """ "anything odd?": no target and no metric named."""
        return self.target is None and self.metrics == METRICS


@dataclass(frozen=True, slots=True)
class Scan:
    """The series that were scored, and what was not: metrics without data, metrics whose
    query failed (with why) and series left out by the per-metric cap."""

    checked: tuple[Checked, ...]
    no_data: tuple[str, ...]
    failed: tuple[str, ...]
    left_out: int

    @property
    def by_key(self) -> dict[str, Checked]:
        return {c.key: c for c in self.checked}


class AnomalyHandler:
    """Answers ``anomaly_query`` from one metrics source and one detector."""

    def __init__(
        self,
        source: MetricsSource,
        detector: AnomalyDetector,
        directory: TargetDirectory,
        *,
        default_range: float = DEFAULT_RANGE_SECONDS,
        alerts: AlertSource | None = None,
        forecaster: Forecaster | None = None,
        clock: Callable[[], float] = time.time,
        charts: ChartCache | None = None,
    ) -> None:
        self._source = source
        self._charts = charts or ChartCache()
        self._alerts = alerts
        self._forecaster = forecaster
        self._detector = detector
        self._default_range = default_range
        self._clock = clock
        self._directory = directory
        self._footer = f"Source: {source.description}"

    def guard(self, handler: Handler) -> Handler:
        """``handler`` with the source named in its user errors too."""
        return with_footer(handler, self._footer)

    async def anomaly_query(self, request: Request) -> Reply:
        """Fetch, score (one detector call, in its worker thread) and answer; see the module
        doc. Unknown targets, metrics and ranges are the user's error."""
        refuse_rejected_target(request.intent)
        question = await self._question(request.intent.slots)
        note = time_note(request.intent, f"the last {format_duration(question.span)}")
        return with_note(await self._answer(question), note)

    async def _answer(self, question: Question) -> Reply:
        scan, fleet = await asyncio.gather(self._scan(question), self._fleet(question))
        if not scan.checked and not fleet.items():
            return self._no_data(question, scan)
        series = [(c.key, c.series) for c in scan.checked]
        findings = await self._detector.find(series, since=question.start) if series else []
        report = await self._measure(question, scan, findings)
        if not report.notable and not fleet.items():
            return self._calm(question, scan, report, fleet)
        return await self._report(question, scan, report, fleet)

    async def _measure(self, question: Question, scan: Scan, findings: list[Finding]) -> Report:
        """The report of ``findings``; over a range scored coarser than the default question,
        the incidents it names are measured again at the default's step over a fixed frame
        (:mod:`bot.features.anomaly.zoom`), so their start and duration do not depend on the
        range asked about."""
        report = Report.of(findings, scan.by_key, now=question.end, step=question.step)
        if question.step <= FINE_STEP or not report.notable:
            return report
        refined = await refine(
            findings,
            scan.by_key,
            [x.checked.key for e in report.notable for x in e.per_series()],
            source=self._source,
            directory=self._directory,
            detector=self._detector,
            target=question.target,
            end=question.end,
            coarse_step=question.step,
        )
        return Report.of(refined.findings, refined.checked, now=question.end, step=question.step)

    async def _fleet(self, question: Question) -> Overview:
        """What is down now (of the target asked about, or of all); for the open question
        also what fires and what fills up soon."""
        now = self._clock()
        if question.is_open:
            return await look(
                self._source,
                self._directory,
                now=now,
                alerts=self._alerts,
                forecaster=self._forecaster,
            )
        targets = await self._source.targets()
        labels = tuple(self._source.target_labels)
        if question.target is not None:
            targets = down_targets(targets, question.target.name, labels)
        return Overview(now, tuple(t for t in targets if not t.up), (), (), labels)

    # ----------------------------------------------------------------------- fetching

    async def _question(self, slots: Mapping[str, object]) -> Question:
        metric = str(slots["metric"]) if "metric" in slots else None
        if metric is not None and metric not in METRICS:
            raise InvalidInput(
                f"'{metric}' is not a metric I know.", hint=f"Try one of: {', '.join(METRICS)}."
            )
        metrics = (metric,) if metric else METRICS
        target = await self._directory.resolve(str(slots["target"])) if "target" in slots else None
        now = self._clock()
        start, end = slots.get("start"), slots.get("end")
        if isinstance(start, int):
            until = min(float(end), now) if isinstance(end, int) else now
            return Question(target, metrics, self._checked_span(until - start), until)
        return Question(target, metrics, self._range(slots), now)

    def _checked_span(self, span: float) -> float:
        if not MIN_RANGE_SECONDS <= span <= MAX_RANGE_SECONDS:
            raise InvalidInput(
                "I look for anomalies over 5 minutes to 7 days.", hint="Try `6h` or `24h`."
            )
        return span

    def _range(self, slots: Mapping[str, object]) -> float:
        raw = slots.get("range", self._default_range)
        try:
            span = int(str(raw))
        except ValueError:
            raise InvalidInput(f"'{raw}' is not a time range.", hint="Try `6h` or `24h`.") from None
        if not MIN_RANGE_SECONDS <= span <= MAX_RANGE_SECONDS:
            raise InvalidInput(
                "I look for anomalies over 5 minutes to 7 days.", hint="Try `6h` or `24h`."
            )
        return float(span)

    async def _scan(self, question: Question) -> Scan:
        lookups = await asyncio.gather(*(self._lookup(question, m) for m in question.metrics))
        checked: list[Checked] = []
        no_data: list[str] = []
        failed: list[str] = []
        left_out = 0
        for metric, lookup in zip(question.metrics, lookups, strict=True):
            if isinstance(lookup, InvalidInput):
                failed.append(f"{metric_label(metric)} ({shorten(lookup.message, 80)})")
                continue
            current = [(n, s) for n, s in lookup.series if _has_data(s, question.start)]
            if not current:
                no_data.append(metric)
            left_out += max(0, len(current) - MAX_SERIES_PER_METRIC)
            checked.extend(_checked(lookup, current[:MAX_SERIES_PER_METRIC]))
        return Scan(tuple(checked), tuple(no_data), tuple(failed), left_out)

    async def _lookup(self, question: Question, metric: str) -> SeriesLookup | InvalidInput:
        """One metric's series over range and history. When several metrics are scanned, a
        query the source rejects (a broken catalog override) is reported, not fatal."""
        try:
            window = Window(question.history_start, question.end, question.step)
            return await fetch_series(
                self._source, self._directory, metric, question.target, window
            )
        except InvalidInput as exc:
            if len(question.metrics) == 1:
                raise
            return exc

    # ----------------------------------------------------------------------- answers

    async def _report(
        self, question: Question, scan: Scan, report: Report, fleet: Overview
    ) -> Reply:
        attention = fleet.lines()
        text = ["Needs attention, worst first:" if len(attention) > 1 else "Needs attention:"]
        text = [*text, *attention] if attention else []
        charts: tuple[Chart, ...] = ()
        if report.notable:
            stood_out = {x.checked.key for e in report.notable for x in e.excursions}
            header = (
                f"{len(stood_out)} of {len(scan.checked)} series {_of(question)}stood out "
                f"in the last {format_duration(question.span)}"
            )
            listed = report.listed()
            header += ", strongest first:" if len(listed) > 1 else ":"
            text += [header, *report.lines(brief=bool(attention))]
            chart = await self._chart(question, scan, report, report.line(listed[0]))
            charts = (chart,)
        else:
            found = "nothing unusual" if scan.checked else "no data"
            text.append(f"Metrics: {found} in the last {format_duration(question.span)}.")
        ongoing = Severity.WARNING if report.ongoing() else Severity.INFO
        severity = max(fleet.severity(), ongoing, key=_SEVERITY_RANK.index)
        return Reply(
            title=_title(question),
            text="\n".join([*text, *_stale(question, scan, fleet)]),
            fields=_checked_fields(question, scan, fleet),
            charts=charts,
            severity=severity,
            footer=self._footer,
        )

    def _calm(self, question: Question, scan: Scan, report: Report, fleet: Overview) -> Reply:
        scope = f" on {question.target.name}" if question.target else ""
        text = f"Nothing stood out{scope} in the last {format_duration(question.span)}."
        if report.minor:
            text += f" Only minor blips just over the alert line: {report.blips()}."
        if question.is_open:
            text += f" Also checked: {fleet.checked()}; all clear."
        return Reply(
            title=_title(question),
            text="\n".join([text, *_stale(question, scan, fleet)]),
            fields=_checked_fields(question, scan, fleet),
            severity=Severity.SUCCESS,
            footer=self._footer,
        )

    def _no_data(self, question: Question, scan: Scan) -> Reply:
        """No series had a sample in the range: say so rather than "all clear"."""
        scope = f"for {question.target.name} " if question.target else ""
        what = f"{metric_label(scan.no_data[0])} data" if len(scan.no_data) == 1 else "data"
        try_next = f"`status {question.target.name}`" if question.target else "`status`"
        fields: list[Field] = []
        if scan.no_data:
            fields.append(
                Field("No data for", join_names([metric_label(m) for m in scan.no_data], 7))
            )
        if scan.failed:
            fields.append(Field("Could not check", join_names(scan.failed, 7)))
        return Reply(
            title=_title(question),
            text=(
                f"No {what} {scope}in the last {format_duration(question.span)}, "
                f"so there is nothing to check. Try {try_next}."
            ),
            fields=tuple(fields),
            severity=Severity.WARNING,
            footer=self._footer,
        )

    async def _chart(self, question: Question, scan: Scan, report: Report, alt: str) -> Chart:
        """The leading series and every other notable series of the same metric (one unit on
        the axis: the co-movers of that metric and other incidents in it), over the range
        asked (as scanned, whatever an incident was measured on), with their excursions
        shaded."""
        lead = report.notable[0].lead.checked
        scanned = scan.by_key
        shown = [
            scanned.get(x.checked.key, x.checked)
            for e in report.notable
            for x in e.per_series()
            if x.checked.metric == lead.metric
        ][:MAX_SERIES]
        keys = {c.key for c in shown}
        window = (question.start, question.end)
        spans = [
            (max(x.start, window[0]), x.end)
            for e in report.notable
            for x in e.excursions
            if x.checked.key in keys and x.end >= window[0]
        ]
        duration = format_duration(question.span)
        who = join_names(list(dict.fromkeys(c.target for c in shown)), 2)
        title = f"{lead.info.title} · {who} · last {duration}"
        shaded = tuple((round(start), round(end)) for start, end in spans)
        names = tuple(c.key for c in shown)
        key = ("anomaly", title, names, shaded, window_key(*window, question.step))
        return await self._charts.chart(
            key,
            lambda: render_line_chart(
                title,
                [(c.target, _clip(c.series, window[0])) for c in shown],
                unit=lead.info.unit,
                y_label=lead.info.title,
                spans=spans,
                window=window,
                filename=f"{slug(f'anomaly-{lead.metric}-{lead.target}-{duration}')}.png",
                alt_text=f"{title}, unusual spans shaded. {alt}",
            ),
        )


def _stale(question: Question, scan: Scan, fleet: Overview) -> list[str]:
    """A line for targets whose samples stopped a while ago: quiet is not healthy. Targets
    known to be down are named as such already."""
    latest: dict[str, float] = {}
    live = {strip_port(t.name) for t in fleet.down}
    for c in scan.checked:
        stopped = stopped_at(c.series, now=question.end, step=question.step)
        if stopped is None:
            live.add(c.target)
        else:
            latest[c.target] = max(latest.get(c.target, 0.0), stopped)
    stale = sorted((t, name) for name, t in latest.items() if name not in live)
    if not stale:
        return []
    names = join_names([name for _, name in stale], 3)
    since = when(stale[-1][0], question.end)
    hint = f"`status {stale[0][1]}`" if len(stale) == 1 else "`status`"
    return [f"No samples from {names} since {since}: is it down? Try {hint}."]


def _checked_fields(question: Question, scan: Scan, fleet: Overview) -> tuple[Field, ...]:
    metrics = sorted({c.metric for c in scan.checked}, key=question.metrics.index)
    targets = sorted({c.target for c in scan.checked})
    what = join_names([metric_label(m) for m in metrics], 7)
    whose = targets[0] if len(targets) == 1 else f"{len(targets)} targets"
    checked = f"{what} of {whose} ({len(scan.checked)} series)"
    if scan.left_out:
        checked += f"; {scan.left_out} more left out, name a target to check them"
    if scan.no_data:
        checked += f"; no data for {join_names([metric_label(m) for m in scan.no_data], 7)}"
    if scan.failed:
        checked += f"; could not check {join_names(scan.failed, 7)}"
    history = format_duration(question.start - question.history_start)
    every = format_duration(question.step)
    span = (
        f"{clock_time(question.start, question.end)} to now, every {every}, "
        f"judged against the {history} before"
    )
    fields = (Field("Checked", checked), Field("Range", span)) if scan.checked else ()
    return (*fields, Field("Also checked", fleet.checked())) if question.is_open else fields


def _checked(lookup: SeriesLookup, series: Sequence[tuple[str, Series]]) -> list[Checked]:
    return [Checked(f"{name} {lookup.metric}", name, lookup.metric, s) for name, s in series]


def _has_data(series: Series, start: float) -> bool:
    return bool(series.timestamps) and series.timestamps[-1] >= start


def _clip(series: Series, start: float) -> Series:
    keep = [i for i, t in enumerate(series.timestamps) if t >= start]
    return Series(
        series.labels,
        tuple(series.timestamps[i] for i in keep),
        tuple(series.values[i] for i in keep),
    )


def _of(question: Question) -> str:
    return f"of {question.target.name} " if question.target else ""


def _title(question: Question) -> str:
    parts = ["Anomalies", question.who, f"last {format_duration(question.span)}"]
    if len(question.metrics) == 1:
        parts.insert(1, metric_label(question.metrics[0]))
    return " · ".join(parts)
