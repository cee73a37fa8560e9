"""The ``schedules:`` section of the config file, validated with pydantic.

::

    schedules:
      anomaly_scan:
        every: 5m                  # or cron: "*/5 * * * *" (UTC); default every 5m
        targets: [checkout-api]    # default: every target of the metrics source
        metrics: [latency, error_rate]   # default: every catalog metric
        lookback: 1h               # post findings still running within this window
        min_score: 0.6             # weaker findings are minor blips, never posted
        severity: warning          # matched against subscriptions' severity filters
        forecast_metrics: [disk, memory]  # also post "full within forecast_horizon" ([]: off)
        forecast_horizon: 24h      # once per episode; posted again only after it has ended
      daily_digest:
        cron: "0 9 * * *"          # default 09:00 UTC
        window: 24h
        severity: info

Every job also takes ``enabled`` (default true) and ``lease_ttl`` (default a third of the
interval, at most 30 s: a standby replica takes over within one interval). A job that is not
listed does not run. Errors name the key, e.g. ``schedules.anomaly_scan.every: ...``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.core.errors import ConfigError
from bot.features.metrics.catalog import CAPACITY_METRICS, LIMITS
from bot.features.scheduler.schedule import Cron, Every, Schedule, parse_duration
from intents.model import METRICS

Duration = Annotated[float, BeforeValidator(parse_duration)]
SeverityName = Literal["critical", "warning", "info"]

JOB_NAMES = ("anomaly_scan", "daily_digest")


class JobConfig(BaseModel):
    """What every job shares: when it runs and how its lease is sized."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: Duration | None = None
    cron: str | None = None
    enabled: bool = True
    lease_ttl: Duration | None = None

    @field_validator("every")
    @classmethod
    def _whole_intervals(cls, value: float | None) -> float | None:
        if value is not None and value < 1:
            raise ValueError("must be at least 1s")
        return value

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is not None:
            Cron(value.strip())
            return value.strip()
        return value

    @model_validator(mode="after")
    def _one_schedule(self) -> JobConfig:
        if self.every is not None and self.cron is not None:
            raise ValueError("give either every or cron, not both")
        if self.lease_ttl is not None and self.lease_ttl < 0.5:
            raise ValueError("lease_ttl: must be at least 0.5s")
        if self.lease_ttl is not None and self.lease_ttl >= self.schedule.period:
            raise ValueError(
                "lease_ttl: must be shorter than the interval, so that a standby replica "
                "takes the job over within one interval"
            )
        return self

    @property
    def schedule(self) -> Schedule:
        if self.cron is not None:
            return Cron(self.cron)
        return Every(self.every if self.every is not None else self.default_every())

    def default_every(self) -> float:
        return 300.0


class AnomalyScanConfig(JobConfig):
    """The periodic anomaly scan (defaults: every 5 minutes, every target and metric)."""

    targets: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    metrics: tuple[str, ...] = ()
    lookback: Duration = 3600.0
    min_score: float = Field(default=0.6, ge=0.0, le=1.0)
    severity: SeverityName = "warning"
    forecast_metrics: tuple[str, ...] = CAPACITY_METRICS
    forecast_horizon: Duration = 86400.0

    @field_validator("forecast_metrics")
    @classmethod
    def _limited_metrics(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [m for m in value if m not in LIMITS]
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} has no limit to forecast against; use any of {', '.join(LIMITS)}"
            )
        return value

    @field_validator("forecast_horizon")
    @classmethod
    def _sane_horizon(cls, value: float) -> float:
        if not 3600 <= value <= 7 * 86400:
            raise ValueError("must be between 1h and 7d")
        return value

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [m for m in value if m not in METRICS]
        if unknown:
            raise ValueError(f"unknown metric {unknown[0]!r}; use any of {', '.join(METRICS)}")
        return value

    @field_validator("lookback")
    @classmethod
    def _sane_lookback(cls, value: float) -> float:
        if not 60 <= value <= 7 * 86400:
            raise ValueError("must be between 1m and 7d")
        return value


class DailyDigestConfig(JobConfig):
    """The digest of what fired, what was silenced and what was done (default 09:00 UTC)."""

    window: Duration = 86400.0
    severity: SeverityName = "info"

    @property
    def schedule(self) -> Schedule:
        if self.every is None and self.cron is None:
            return Cron("0 9 * * *")
        return super().schedule

    @field_validator("window")
    @classmethod
    def _sane_window(cls, value: float) -> float:
        if not 3600 <= value <= 31 * 86400:
            raise ValueError("must be between 1h and 31d")
        return value


def _empty_is_default(value: Any) -> Any:
    """``daily_digest:`` with nothing under it means "with the defaults"."""
    return {} if value is None else value


class SchedulesConfig(BaseModel):
    """Which jobs run, and how. Unknown job names are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    anomaly_scan: Annotated[AnomalyScanConfig | None, BeforeValidator(_empty_is_default)] = None
    daily_digest: Annotated[DailyDigestConfig | None, BeforeValidator(_empty_is_default)] = None

    def enabled(self) -> dict[str, JobConfig]:
        """The jobs to run, by name."""
        jobs: dict[str, JobConfig | None] = {
            "anomaly_scan": self.anomaly_scan,
            "daily_digest": self.daily_digest,
        }
        return {name: job for name, job in jobs.items() if job is not None and job.enabled}


def load_schedules(raw: Mapping[str, Any] | None, *, key: str = "schedules") -> SchedulesConfig:
    """Validate the ``schedules:`` mapping; :class:`ConfigError` names the bad key."""
    if raw is None:
        return SchedulesConfig()
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{key}: must be a mapping of job names ({', '.join(JOB_NAMES)})")
    try:
        return SchedulesConfig.model_validate(dict(raw))
    except ValidationError as exc:
        raise ConfigError(_describe(key, exc)) from None


def _describe(key: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    path = [str(part) for part in first["loc"]]
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden" and len(path) == 1:
        message = f"unknown job; the jobs are {', '.join(JOB_NAMES)}"
    elif first["type"] == "extra_forbidden":
        message = "unknown setting"
    elif first["type"] == "model_type":
        message = "must be a mapping of settings (or empty for the defaults)"
    inner, sep, rest = message.partition(": ")
    if sep and inner.isidentifier() and inner not in path:
        path.append(inner)
        message = rest
    return ".".join([key, *path]) + f": {message}"
