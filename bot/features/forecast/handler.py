"""Where a metric is heading: "when will db-primary's disk be full?", "will payments latency
go over 300 ms today?", "how much disk will db-primary have tomorrow?".

The last week of the metric goes to the :class:`~bot.features.forecast.ports.Forecaster` (a robust
trend plus
the daily rhythm, with an 80 % band). With a threshold (the question's, else the catalog's
limit: a disk or memory is full at 100 %) the answer is when it is reached, as a range and a
most likely time ("full in 9-13 h, around 04:10 UTC"), or "not at the current rate" and why;
without one, the value at the horizon with its band. Either way a chart shows the history,
the forecast and the band.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.core.charts import Outlook, render_line_chart, slug
from bot.core.errors import InvalidInput
from bot.core.formatting import PERCENT, format_value, format_when
from bot.core.model import Chart, Field, Reply, Severity
from bot.core.provenance import with_footer
from bot.core.registry import HandlerSpec, Request
from bot.features.forecast.help import FORECAST_HELP
from bot.features.forecast.outlook import (
    HISTORY_SECONDS,
    HISTORY_STEP,
    level_text,
    range_text,
    span_text,
)
from bot.features.forecast.ports import ForecastAnswer, Forecaster, ForecastPath
from bot.features.metrics.catalog import CAPACITY_METRICS, LIMITS, METRIC_INFO, MetricInfo
from bot.features.metrics.lookup import fetch_series
from bot.features.metrics.ports import MetricsSource, NamedSeries, Series, Window
from bot.features.metrics.queries import metric_of
from bot.features.metrics.targets import TargetDirectory
from intents.model import SlotValue

SHOWN_HISTORY = 2 * 86400.0
CROSSING_HORIZON = 7 * 86400.0
VALUE_HORIZON = 86400.0
#: How many times its own age a trend is read ahead before the answer says that is a guess.
TREND_REACH = 2.0


@dataclass(frozen=True, slots=True)
class _Question:
    """What to forecast; ``value`` when the question is about the value later ("how much
    disk tomorrow?": a horizon and no level), which also says whether the limit is hit."""

    info: MetricInfo
    target: str
    threshold: float | None
    horizon: float
    quantile: float | None
    direction: str
    value: bool


class Forecasts:
    """Answers ``forecast`` from one source and one forecaster."""

    def __init__(
        self,
        source: MetricsSource,
        directory: TargetDirectory,
        forecaster: Forecaster,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._source = source
        self._directory = directory
        self._forecaster = forecaster
        self._clock = clock
        self._footer = f"Source: {source.description}"

    async def forecast(self, request: Request) -> Reply:
        question = _question(request.intent.slots)
        now = self._clock()
        window = Window(now - HISTORY_SECONDS, now, HISTORY_STEP)
        lookup = await fetch_series(
            self._source,
            self._directory,
            question.info.name,
            question.target,
            window,
            quantile=question.quantile,
        )
        if not lookup.series:
            raise InvalidInput(
                f"No {question.info.title} data for {question.target} in the last week, so "
                "there is nothing to forecast from.",
                hint=f"`status {question.target}` shows whether it is scraped.",
            )
        history = lookup.series[0]
        answer = _steady(history[1], question, now) or await self._forecaster.forecast(
            history[1],
            horizon=question.horizon,
            threshold=question.threshold,
            direction=question.direction,
        )
        return await self._reply(question, history, _bounded(answer, question.info), now)

    async def _reply(
        self, question: _Question, history: NamedSeries, answer: ForecastAnswer, now: float
    ) -> Reply:
        info, unit = question.info, question.info.unit
        title = f"{info.title} forecast · {question.target} · next {span_text(question.horizon)}"
        threshold = question.threshold
        parts = [_value_text(question, answer, now)] if question.value else []
        if threshold is not None:
            parts.append(_crossing_text(question, threshold, answer, now))
        caution = _young_trend(question, answer, now)
        if caution:
            parts.append(caution)
        text = " ".join(parts)
        fields = (
            Field("Now", format_value(answer.now_value, unit)),
            Field("Trend", _trend(answer, unit, now)),
            Field(f"In {span_text(question.horizon)}", _band_at_end(answer, unit)),
        )
        chart = await _chart(title, question, history, answer, now)
        warning = answer.crossing in ("crosses", "already")
        return Reply(
            title=title,
            text=text,
            fields=fields,
            charts=(chart,),
            severity=Severity.WARNING if warning else Severity.INFO,
            footer=f"{self._footer} · {answer.path.coverage:.0%} band",
        )


def forecast_spec(
    source: MetricsSource,
    directory: TargetDirectory,
    forecaster: Forecaster,
    *,
    clock: Callable[[], float] = time.time,
) -> HandlerSpec:
    handler = Forecasts(source, directory, forecaster, clock=clock)
    return FORECAST_HELP.spec(with_footer(handler.forecast, f"Source: {source.description}"))


def _steady(series: Series, question: _Question, now: float) -> ForecastAnswer | None:
    """The answer for a series that has not moved at all (a disk at exactly 90 % for a
    week): it stays where it is, which no model needs to say."""
    values = {v for v in series.values if math.isfinite(v)}
    if len(values) != 1:
        return None
    level = values.pop()
    times = (now + question.horizon / 2, now + question.horizon)
    flat = (level, level)
    answer = ForecastAnswer(ForecastPath(times, flat, flat, flat, 0.8), 0.0, "flat", now, level)
    if question.threshold is None:
        return answer
    above = question.direction == "above"
    past = level >= question.threshold if above else level <= question.threshold
    if past:
        return dataclasses.replace(answer, crossing="already")
    return dataclasses.replace(answer, crossing="not_at_current_rate", reason="flat")


def _bounded(answer: ForecastAnswer, info: MetricInfo) -> ForecastAnswer:
    """The path within what the metric can be: a percentage between 0 and 100, anything
    else not below zero (a disk cannot be 144 % full; it is full)."""
    high = 100.0 if info.unit == PERCENT else math.inf
    path = answer.path

    def clip(values: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(min(max(v, 0.0), high) for v in values)

    bounded = ForecastPath(
        path.timestamps, clip(path.mean), clip(path.lower), clip(path.upper), path.coverage
    )
    return dataclasses.replace(answer, path=bounded)


def _question(slots: Mapping[str, SlotValue]) -> _Question:
    info = METRIC_INFO[metric_of(slots)]
    target = slots.get("target")
    if not isinstance(target, str):
        example = (
            f"when will db-primary's {info.name} be full?"
            if info.name in CAPACITY_METRICS
            else f"how much {info.name.replace('_', ' ')} will payments have tomorrow?"
        )
        raise InvalidInput("Which target should I forecast?", hint=f"For example `{example}`.")
    asked = slots.get("threshold")
    raw = slots.get("horizon")
    given = float(raw) if isinstance(raw, int | float) and raw > 0 else None
    value = given is not None and asked is None
    threshold = float(asked) if isinstance(asked, int | float) else LIMITS.get(info.name)
    default = CROSSING_HORIZON if threshold is not None and not value else VALUE_HORIZON
    quantile = slots.get("quantile")
    q = float(quantile) if isinstance(quantile, int | float) else None
    direction = "below" if slots.get("direction") == "below" else "above"
    horizon = min(given or default, 30 * 86400.0)
    return _Question(info, target, threshold, horizon, q, direction, value)


def _crossing_text(
    question: _Question, threshold: float, answer: ForecastAnswer, now: float
) -> str:
    info, unit = question.info, question.info.unit
    level = level_text(info, threshold)
    who = f"{info.title} of {question.target}"
    if answer.crossing == "already":
        return f"{who} is already past {level}: {format_value(answer.now_value, unit)} now."
    if answer.crossing == "crosses" and answer.likely is not None:
        earliest = answer.earliest if answer.earliest is not None else answer.likely
        within = range_text(earliest - now, None if answer.latest is None else answer.latest - now)
        return (
            f"{who} reaches {level} in {within}, around {format_when(answer.likely, now)} "
            f"(most likely). Now {format_value(answer.now_value, unit)}."
        )
    return f"{who} does not reach {level} {_why_not(answer, question.horizon)}."


def _young_trend(question: _Question, answer: ForecastAnswer, now: float) -> str | None:
    """A caution when the answer reaches further ahead than :data:`TREND_REACH` times as
    long as the trend has held: a latency climbing for 50 minutes in an incident says
    little about 5 hours later, though the line goes on climbing."""
    if answer.direction == "flat" or answer.crossing == "already":
        return None
    age = now - answer.trend_since
    reach = (answer.likely or now) - now if answer.crossing == "crosses" else question.horizon
    if age <= 0 or reach <= TREND_REACH * age:
        return None
    return (
        f"Careful: this trend began only {span_text(age)} ago, so "
        f"{span_text(reach)} ahead is a long guess."
    )


def _why_not(answer: ForecastAnswer, horizon: float) -> str:
    if answer.reason == "beyond_horizon":
        return f"within {span_text(horizon)} at the current rate"
    if answer.reason == "moving_away":
        return "at the current rate: it is moving away from it"
    return "at the current rate: it is flat"


def _value_text(question: _Question, answer: ForecastAnswer, now: float) -> str:
    unit = question.info.unit
    path = answer.path
    at = format_when(path.timestamps[-1], now)
    return (
        f"{question.info.title} of {question.target} in {span_text(question.horizon)} ({at}): "
        f"about {format_value(path.mean[-1], unit)} ({path.coverage:.0%} band "
        f"{format_value(path.lower[-1], unit)} to {format_value(path.upper[-1], unit)}); now "
        f"{format_value(answer.now_value, unit)}."
    )


def _trend(answer: ForecastAnswer, unit: str, now: float) -> str:
    if answer.direction == "flat":
        return "flat"
    per_hour = abs(answer.per_hour)
    amount = f"{per_hour:.2g} points" if unit == PERCENT else format_value(per_hour, unit)
    return f"{answer.direction} {amount}/h since {format_when(answer.trend_since, now)}"


def _band_at_end(answer: ForecastAnswer, unit: str) -> str:
    path = answer.path
    return (
        f"{format_value(path.mean[-1], unit)} "
        f"({format_value(path.lower[-1], unit)}-{format_value(path.upper[-1], unit)})"
    )


async def _chart(
    title: str, question: _Question, history: NamedSeries, answer: ForecastAnswer, now: float
) -> Chart:
    name, series = history
    shown = [(t, v) for t, v in zip(series.timestamps, series.values, strict=True)
             if t >= now - SHOWN_HISTORY]  # fmt: skip
    recent = Series(series.labels, tuple(t for t, _ in shown), tuple(v for _, v in shown))
    return await render_line_chart(
        title,
        [(name, recent)],
        unit=question.info.unit,
        y_label=question.info.title,
        window=(now - SHOWN_HISTORY, answer.path.timestamps[-1]),
        filename=f"{slug(f'forecast-{question.info.name}-{question.target}')}.png",
        alt_text=f"{title}: history of the last 2 days and the forecast with its band",
        outlook=Outlook(answer.path, question.threshold),
    )
