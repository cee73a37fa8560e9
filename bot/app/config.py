"""Configuration: one frozen :class:`Settings` built at start-up from the environment names
of CONTRACT.md plus an optional YAML file (``SMARTCLOUDOPS_CONFIG``) for everything else.

Validation fails fast with a :class:`~bot.core.errors.ConfigError` that names the bad key.
Unset backends fall back to the embedded defaults (in-memory context, SQLite, demo metrics).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from bot.core.admission import (
    DEFAULT_HEAVY_WAIT_SECONDS,
    DEFAULT_MAX_HEAVY,
    DEFAULT_MAX_TURNS,
    DEFAULT_TURN_WAIT_SECONDS,
)
from bot.core.errors import ConfigError
from bot.core.redact import redact_url
from storage.sql.timeouts import DatabaseTimeouts

if TYPE_CHECKING:
    from bot.features.remediation.policy import Policy
    from bot.features.scheduler.config import SchedulesConfig

ENV_NAMES: tuple[str, ...] = (
    "PORT",
    "REDIS_URL",
    "DATABASE_URL",
    "PROMETHEUS_URL",
    "ALERTMANAGER_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_TOKEN_ENCRYPTION_KEY",
    "TEAMS_APP_ID",
    "TEAMS_APP_PASSWORD",
    "TEAMS_TENANT_ID",
    "DISCORD_TOKEN",
)


_REDIS_SCHEMES = ("redis", "rediss", "unix")
_DATABASE_BACKENDS = ("postgres", "postgresql", "sqlite")


@dataclass(frozen=True)
class FileSettings:
    """The YAML file's settings and their defaults. A file is checked against
    :class:`bot.app.config_file.FileSchema` (types, bounds, unknown keys are errors, so a typo
    is caught at start-up) before it becomes one of these; without a file there is nothing
    to check, and pydantic is not even imported (start-up time, bench/RESULTS_STARTUP.md)."""

    catalog: dict[str, str] = field(default_factory=dict)
    target_labels: tuple[str, ...] = ("instance", "job", "service")
    prometheus_timeout_seconds: float = 10.0
    prometheus_max_concurrency: int = 20
    """Prometheus calls in flight at once per replica (more wait, briefly, for a turn)."""
    prometheus_queue_seconds: float = 2.0
    """How long a call may wait for a turn before the bot answers "busy, try again"."""
    max_turns_in_flight: int = DEFAULT_MAX_TURNS
    """Messages answered at once per replica; past it (after ``turn_queue_seconds``) the
    answer is "busy, try again" and nothing is run."""
    turn_queue_seconds: float = DEFAULT_TURN_WAIT_SECONDS
    max_heavy_in_flight: int = DEFAULT_MAX_HEAVY
    """Charts, anomaly reports and forecasts worked on at once per replica (a smaller lane
    inside the turns); past it (after ``heavy_queue_seconds``) "busy, try again"."""
    heavy_queue_seconds: float = DEFAULT_HEAVY_WAIT_SECONDS
    dependency_check_interval_seconds: float = 15.0
    """How often ``serve`` checks every dependency for ``smartcloudops_dependency_up``."""
    default_range_seconds: int = 3600
    context_ttl_seconds: int = 3600
    history_limit: int = 10
    chart_dir: str = "smartcloudops-charts"
    demo_seed: int = 7
    alertmanager_token: str | None = field(default=None, repr=False)
    development_mode: bool = False
    discord_prefix: str | None = None
    #: The raw ``policy:`` and ``schedules:`` sections; read the typed, parsed-once
    #: :attr:`Settings.policy` and :attr:`Settings.schedules` instead.
    policy: dict[str, Any] = field(default_factory=dict)
    schedules: dict[str, Any] = field(default_factory=dict)
    timezone: str = "UTC"
    """Where people mean "yesterday", "since 3am" and "last Tuesday" (an IANA name)."""
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"
    """One JSON object per line, or text; ``auto``: JSON for ``serve``, text otherwise."""
    database: DatabaseTimeouts = field(default_factory=DatabaseTimeouts)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Settings:
    """Everything the composition root needs. Secrets are excluded from ``repr`` and any
    password inside a URL is masked there, so settings can be logged."""

    port: int = 8080
    redis_url: str | None = None
    database_url: str | None = None
    prometheus_url: str | None = None
    alertmanager_url: str | None = None
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_token_encryption_key: str | None = field(default=None, repr=False)
    teams_app_id: str | None = None
    teams_app_password: str | None = field(default=None, repr=False)
    teams_tenant_id: str | None = None
    discord_token: str | None = field(default=None, repr=False)
    alertmanager_webhook_token: str | None = field(default=None, repr=False)
    file: FileSettings = field(default_factory=FileSettings)

    def __repr__(self) -> str:
        shown = []
        for item in dataclasses.fields(self):
            if not item.repr:
                continue
            value = getattr(self, item.name)
            if isinstance(value, str) and item.name.endswith("_url"):
                value = redact_url(value)
            shown.append(f"{item.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    @functools.cached_property
    def policy(self) -> Policy:
        """The remediation policy, parsed once (at load, for settings from the environment)
        into typed objects; empty (nothing may run) without a ``policy:`` section."""
        from bot.features.remediation.policy import load_policy

        return load_policy(self.file.policy)

    @functools.cached_property
    def schedules(self) -> SchedulesConfig | None:
        """The scheduled jobs, parsed once; None without a ``schedules:`` section (so the
        scheduler, and croniter behind it, is never imported then)."""
        if not self.file.schedules:
            return None
        from bot.features.scheduler.config import load_schedules

        return load_schedules(self.file.schedules)

    @property
    def webhook_token(self) -> str | None:
        """The Alertmanager webhook's bearer token: the environment wins over the file, so the
        secret can stay out of config maps."""
        return self.alertmanager_webhook_token or self.file.alertmanager_token

    @property
    def slack_enabled(self) -> bool:
        credentials = self.slack_bot_token or self.slack_oauth
        return bool(credentials and (self.slack_signing_secret or self.slack_app_token))

    @property
    def slack_oauth(self) -> bool:
        """Slack's OAuth mode (many workspaces install the app) rather than one bot token."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def teams_enabled(self) -> bool:
        return bool(self.teams_app_id) or self.file.development_mode

    @property
    def discord_enabled(self) -> bool:
        return bool(self.discord_token)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``environ`` (default ``os.environ``) and the YAML file."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    path = get("SMARTCLOUDOPS_CONFIG")
    file_settings = _load_file(path)
    _check_platform_credentials(get)
    settings = Settings(
        port=_port(get("PORT")),
        redis_url=_redis_url(get("REDIS_URL")),
        database_url=_database_url(get("DATABASE_URL")),
        prometheus_url=_url("PROMETHEUS_URL", get("PROMETHEUS_URL")),
        alertmanager_url=_url("ALERTMANAGER_URL", get("ALERTMANAGER_URL")),
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=get("SLACK_APP_TOKEN"),
        slack_api_url=_url("SLACK_API_URL", get("SLACK_API_URL")),
        slack_client_id=get("SLACK_CLIENT_ID"),
        slack_client_secret=get("SLACK_CLIENT_SECRET"),
        slack_token_encryption_key=get("SLACK_TOKEN_ENCRYPTION_KEY"),
        teams_app_id=get("TEAMS_APP_ID"),
        teams_app_password=get("TEAMS_APP_PASSWORD"),
        teams_tenant_id=get("TEAMS_TENANT_ID"),
        discord_token=get("DISCORD_TOKEN"),
        alertmanager_webhook_token=get("ALERTMANAGER_WEBHOOK_TOKEN"),
        file=file_settings,
    )
    _parse_sections(settings, path)
    return settings


def _parse_sections(settings: Settings, path: str | None) -> None:
    """Parse the policy and schedules now (the results are kept on ``settings``), so a bad
    section fails start-up with its file and key named, and nothing parses them again."""
    for section in ("policy", "schedules"):
        if getattr(settings.file, section):
            try:
                getattr(settings, section)
            except ConfigError as exc:
                raise ConfigError(f"{path}: {exc}") from None


#: Credentials that only work together: (set, missing, what to do). Half of a platform's
#: credentials is a mistake, not a wish to leave the platform off, so start-up refuses it.
_INCOMPLETE = (
    ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "set it to the app's Client Secret"),
    ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID", "set it to the app's Client ID"),
    (
        "SLACK_CLIENT_ID",
        "SLACK_TOKEN_ENCRYPTION_KEY",
        "OAuth mode stores every workspace's bot token encrypted with it; make one with "
        "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
    ),
    ("TEAMS_APP_PASSWORD", "TEAMS_APP_ID", "set it to the Azure Bot's app id"),
    ("TEAMS_TENANT_ID", "TEAMS_APP_ID", "set it to the Azure Bot's app id"),
    ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "set it to a client secret of that app"),
)


def _check_platform_credentials(get: Callable[[str], str | None]) -> None:
    """Refuse half-configured platforms, naming the missing key (never a value)."""
    for present, missing, fix in _INCOMPLETE:
        if get(present) and not get(missing):
            raise ConfigError(f"{missing} is not set but {present} is: {fix}, or unset {present}")
    _check_slack(get)


def _check_slack(get: Callable[[str], str | None]) -> None:
    """Slack is either one bot token (one workspace) or OAuth (any number of workspaces),
    and either way needs a way for events to arrive."""
    oauth = get("SLACK_CLIENT_ID")
    token = get("SLACK_BOT_TOKEN")
    if oauth and token:
        raise ConfigError(
            "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: set SLACK_BOT_TOKEN for one "
            "workspace, or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET for OAuth (many workspaces)"
        )
    inbound = get("SLACK_SIGNING_SECRET") or get("SLACK_APP_TOKEN")
    for present in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        if get(present) and not (token or oauth):
            raise ConfigError(
                f"SLACK_BOT_TOKEN is not set but {present} is: set it to the app's bot token "
                "(xoxb-...), or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET for OAuth (many "
                f"workspaces), or unset {present}"
            )
    if (token or oauth) and not inbound:
        given = "SLACK_BOT_TOKEN" if token else "SLACK_CLIENT_ID"
        raise ConfigError(
            f"SLACK_SIGNING_SECRET is not set but {given} is: set SLACK_SIGNING_SECRET "
            f"(HTTP mode) or SLACK_APP_TOKEN (Socket Mode), or unset {given}"
        )


def _port(raw: str | None) -> int:
    if raw is None:
        return 8080
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"PORT must be a whole number, got {raw!r}") from None
    if not 0 < port < 65536:
        raise ConfigError(f"PORT must be between 1 and 65535, got {port}")
    return port


def _database_url(raw: str | None) -> str | None:
    """A PostgreSQL or SQLite URL (any driver suffix; the storage layer picks its own)."""
    if raw is None:
        return None
    scheme = _split("DATABASE_URL", raw).scheme
    if scheme.partition("+")[0] not in _DATABASE_BACKENDS:
        raise ConfigError(
            "DATABASE_URL must be a postgresql://user@host/db or sqlite:///path URL, "
            f"got {redact_url(raw)!r}"
        )
    return raw


def _url(name: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    parts = _split(name, raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http(s) URL with a host, got {redact_url(raw)!r}")
    return raw.rstrip("/")


def _redis_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    parts = _split("REDIS_URL", raw)
    if parts.scheme not in _REDIS_SCHEMES or not (parts.hostname or parts.path):
        raise ConfigError(
            f"REDIS_URL must be a redis://, rediss:// or unix:// URL, got {redact_url(raw)!r}"
        )
    return raw


def _split(name: str, raw: str) -> urllib.parse.SplitResult:
    try:
        return urllib.parse.urlsplit(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} is not a valid URL: {exc}") from None


def _load_file(path: str | None) -> FileSettings:
    if path is None:
        return FileSettings()
    # Imported here: YAML and the file's schema (pydantic) are only needed to read a file,
    # and cost start-up time without one (see bench/RESULTS_STARTUP.md).
    import yaml

    from bot.app.config_file import check_file

    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"SMARTCLOUDOPS_CONFIG: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"SMARTCLOUDOPS_CONFIG: {path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"SMARTCLOUDOPS_CONFIG: {path} must hold a mapping at the top level")
    return check_file(path, raw)
