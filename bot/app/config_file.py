"""The schema of the YAML configuration file (``SMARTCLOUDOPS_CONFIG``): types, bounds and
unknown keys, checked with pydantic into a :class:`~bot.app.config.FileSettings`.

Its own module so that a process without a file (``chat`` on the embedded defaults) never
imports pydantic. Every key of :class:`~bot.app.config.FileSettings` is here, with that
class's default; ``tests/unit/test_config.py`` keeps the two in step.
"""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.app.config import FileSettings
from bot.core.errors import ConfigError
from intents.model import METRICS
from storage.sql.timeouts import DatabaseTimeouts

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_FILE = FileSettings()
_DATABASE = DatabaseTimeouts()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSchema(_Strict):
    """The ``database:`` section (:class:`storage.sql.timeouts.DatabaseTimeouts`)."""

    timeout_seconds: float = Field(default=_DATABASE.timeout_seconds, gt=0, le=300)
    connect_timeout_seconds: float = Field(default=_DATABASE.connect_timeout_seconds, gt=0, le=300)
    statement_timeout_seconds: float = Field(
        default=_DATABASE.statement_timeout_seconds, gt=0, le=3600
    )
    pool_timeout_seconds: float = Field(default=_DATABASE.pool_timeout_seconds, gt=0, le=300)


class FileSchema(_Strict):
    """The whole file. Unknown keys are errors, so a typo is caught at start-up."""

    catalog: dict[str, str] = Field(default_factory=dict)
    target_labels: tuple[str, ...] = _FILE.target_labels
    prometheus_timeout_seconds: float = Field(
        default=_FILE.prometheus_timeout_seconds, gt=0, le=120
    )
    prometheus_max_concurrency: int = Field(default=_FILE.prometheus_max_concurrency, ge=1, le=1000)
    prometheus_queue_seconds: float = Field(default=_FILE.prometheus_queue_seconds, ge=0, le=60)
    max_turns_in_flight: int = Field(default=_FILE.max_turns_in_flight, ge=1, le=10_000)
    turn_queue_seconds: float = Field(default=_FILE.turn_queue_seconds, ge=0, le=60)
    max_heavy_in_flight: int = Field(default=_FILE.max_heavy_in_flight, ge=1, le=1000)
    heavy_queue_seconds: float = Field(default=_FILE.heavy_queue_seconds, ge=0, le=60)
    dependency_check_interval_seconds: float = Field(
        default=_FILE.dependency_check_interval_seconds, ge=1, le=3600
    )
    default_range_seconds: int = Field(default=_FILE.default_range_seconds, ge=60, le=90 * 86400)
    context_ttl_seconds: int = Field(default=_FILE.context_ttl_seconds, ge=60)
    history_limit: int = Field(default=_FILE.history_limit, ge=1, le=100)
    chart_dir: str = _FILE.chart_dir
    demo_seed: int = _FILE.demo_seed
    alertmanager_token: str | None = Field(default=_FILE.alertmanager_token, repr=False)
    development_mode: bool = _FILE.development_mode
    discord_prefix: str | None = Field(default=_FILE.discord_prefix, min_length=1, max_length=10)
    policy: dict[str, Any] = Field(default_factory=dict)
    schedules: dict[str, Any] = Field(default_factory=dict)
    timezone: str = _FILE.timezone
    log_level: str = _FILE.log_level
    log_format: Literal["auto", "json", "text"] = _FILE.log_format
    database: DatabaseSchema = Field(default_factory=DatabaseSchema)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            hint = "use an IANA name like Europe/Berlin"
            raise ValueError(f"unknown timezone {value!r}; {hint}") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in _LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
        return level

    def settings(self) -> FileSettings:
        """These values as the settings the bot reads."""
        values = {name: getattr(self, name) for name in FileSchema.model_fields}
        values["database"] = DatabaseTimeouts(**self.database.model_dump())
        return FileSettings(**values)


def check_file(path: str, raw: dict[str, Any]) -> FileSettings:
    """The settings in ``raw`` (the file at ``path``, parsed), or a :class:`ConfigError`
    naming the file and the first bad key."""
    try:
        settings = FileSchema.model_validate(raw).settings()
    except ValidationError as exc:
        raise ConfigError(_describe(path, exc)) from None
    unknown = sorted(set(settings.catalog) - set(METRICS))
    if unknown:
        raise ConfigError(
            f"{path}: catalog.{unknown[0]}: unknown metric; use one of {', '.join(METRICS)}"
        )
    return settings


def _describe(path: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    return f"{path}: {key}: {first['msg']}"
