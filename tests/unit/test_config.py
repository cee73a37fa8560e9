"""Settings from the environment plus an optional YAML file, validated at start-up with
errors that name the bad key and never echo a secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app.config import ENV_NAMES, FileSettings, Settings, load_settings
from bot.core.errors import ConfigError

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-secret-bot-token",
    "SLACK_SIGNING_SECRET": "signing-secret-value",
    "SLACK_APP_TOKEN": "xapp-secret-app-token",
    "TEAMS_APP_ID": "0b1c2d3e-aaaa-4bbb-8ccc-123456789abc",
    "TEAMS_APP_PASSWORD": "teams-secret-password",
    "DISCORD_TOKEN": "discord-secret-token",
    "ALERTMANAGER_WEBHOOK_TOKEN": "webhook-secret-token",
    "REDIS_URL": "redis://:redis-secret-pw@redis:6379/0",
    "DATABASE_URL": "postgresql+psycopg://bot:db-secret-pw@db:5432/sco",
    "PROMETHEUS_URL": "https://reader:prom-secret-pw@prometheus.example:9090",
}
OAUTH = {"SLACK_CLIENT_ID": "1234.5678", "SLACK_CLIENT_SECRET": "oauth-secret-value"}
FERNET_KEY = "JUVsY2Vfa2V5X2Zvcl90ZXN0c19vbmx5XzAxMjM0NTY="
OAUTH_ON = {**OAUTH, "SLACK_TOKEN_ENCRYPTION_KEY": FERNET_KEY}
SECRET_VALUES = (
    "oauth-secret-value",
    FERNET_KEY,
    "xoxb-secret-bot-token",
    "signing-secret-value",
    "xapp-secret-app-token",
    "teams-secret-password",
    "discord-secret-token",
    "webhook-secret-token",
    "redis-secret-pw",
    "db-secret-pw",
    "prom-secret-pw",
    "alertmanager-secret-token",
)


def config_file(tmp_path: Path, text: str) -> dict[str, str]:
    """An environ pointing SMARTCLOUDOPS_CONFIG at a YAML file holding ``text``."""
    path = tmp_path / "smartcloudops.yaml"
    path.write_text(text, encoding="utf-8")
    return {"SMARTCLOUDOPS_CONFIG": str(path)}


def test_defaults_are_the_embedded_backends() -> None:
    """With nothing set: port 8080, no backends (so the embedded ones), no platforms."""
    settings = load_settings({})
    assert settings == Settings()
    assert settings.port == 8080
    assert (settings.redis_url, settings.database_url, settings.prometheus_url) == (None,) * 3
    assert settings.file == FileSettings()
    assert settings.file.history_limit == 10
    assert [settings.slack_enabled, settings.teams_enabled, settings.discord_enabled] == [False] * 3


def test_environment_values_are_read_and_tidied() -> None:
    """Values are trimmed, blank means unset, and a trailing slash leaves base URLs."""
    settings = load_settings(
        {
            "PORT": " 9090 ",
            "PROMETHEUS_URL": "http://prometheus:9090/",
            "ALERTMANAGER_URL": "   ",
            "REDIS_URL": "redis://127.0.0.1:6379/2",
        }
    )
    assert settings.port == 9090
    assert settings.prometheus_url == "http://prometheus:9090"
    assert settings.alertmanager_url is None
    assert settings.redis_url == "redis://127.0.0.1:6379/2"


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an explicit mapping the process environment is used."""
    for name in (*ENV_NAMES, "SMARTCLOUDOPS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORT", "8181")
    assert load_settings().port == 8181


@pytest.mark.parametrize("port", ["eighty", "80.5", "0", "65536", "-1"])
def test_bad_port_is_named(port: str) -> None:
    """A PORT that is not a whole number in 1..65535 fails start-up naming PORT."""
    with pytest.raises(ConfigError, match=r"^PORT must be"):
        load_settings({"PORT": port})


@pytest.mark.parametrize("name", ["PROMETHEUS_URL", "ALERTMANAGER_URL", "SLACK_API_URL"])
@pytest.mark.parametrize("url", ["prometheus:9090", "ftp://host/x", "http://", "http://[::1"])
def test_bad_http_url_is_named(name: str, url: str) -> None:
    """An http(s) setting that is not an http(s) URL with a host fails naming the variable."""
    with pytest.raises(ConfigError, match=f"^{name} "):
        load_settings({name: url})


@pytest.mark.parametrize("url", ["http://redis:6379", "localhost:6379", "redis://"])
def test_bad_redis_url_is_named(url: str) -> None:
    """REDIS_URL must be a redis://, rediss:// or unix:// URL."""
    with pytest.raises(ConfigError, match=r"^REDIS_URL must be"):
        load_settings({"REDIS_URL": url})


@pytest.mark.parametrize(
    "url", ["redis://localhost:6379/0", "rediss://:pw@cache.example:6380", "unix:///run/r.sock"]
)
def test_good_redis_urls_are_accepted(url: str) -> None:
    """Every URL form redis-py understands is accepted unchanged."""
    assert load_settings({"REDIS_URL": url}).redis_url == url


def test_bad_url_error_does_not_echo_its_password() -> None:
    """A rejected URL is quoted with its password masked."""
    with pytest.raises(ConfigError) as caught:
        load_settings({"ALERTMANAGER_URL": "ftp://admin:am-secret-pw@am:9093"})
    assert "am-secret-pw" not in str(caught.value)
    assert "admin:***@am:9093" in str(caught.value)


def test_yaml_file_overrides_defaults(tmp_path: Path) -> None:
    """Keys in the YAML file replace the defaults; a catalog override is kept as written."""
    env = config_file(
        tmp_path,
        "history_limit: 4\n"
        "context_ttl_seconds: 120\n"
        "log_level: debug\n"
        "catalog:\n"
        "  cpu: 'avg(rate(my_cpu_seconds{selector}[5m]))'\n",
    )
    settings = load_settings(env)
    assert settings.file.history_limit == 4
    assert settings.file.context_ttl_seconds == 120
    assert settings.file.log_level == "DEBUG"
    assert settings.file.catalog == {"cpu": "avg(rate(my_cpu_seconds{selector}[5m]))"}


def test_prometheus_bound_and_check_interval_come_from_the_file(tmp_path: Path) -> None:
    """The Prometheus bound, its queue wait and the dependency check interval are file keys
    with defaults (20 calls, 2 s, 15 s)."""
    assert (
        FileSettings().prometheus_max_concurrency,
        FileSettings().prometheus_queue_seconds,
        FileSettings().dependency_check_interval_seconds,
    ) == (20, 2.0, 15.0)
    env = config_file(
        tmp_path,
        "prometheus_max_concurrency: 8\n"
        "prometheus_queue_seconds: 0.5\n"
        "dependency_check_interval_seconds: 30\n",
    )
    file = load_settings(env).file
    assert (
        file.prometheus_max_concurrency,
        file.prometheus_queue_seconds,
        file.dependency_check_interval_seconds,
    ) == (8, 0.5, 30.0)


def test_policy_and_schedules_are_parsed_once_into_typed_objects(tmp_path: Path) -> None:
    """The policy and schedules come out of loading as typed objects, kept on the settings:
    every consumer gets the very same object, nothing parses the raw sections again."""
    from bot.features.remediation.policy import Policy
    from bot.features.scheduler.config import SchedulesConfig

    env = config_file(
        tmp_path,
        "policy:\n"
        "  roles: {oncall: {users: ['slack:U0ANA']}}\n"
        "  executors: {runbooks: {type: command}}\n"
        "  actions:\n"
        "    restart:\n"
        "      {executor: runbooks, role: oncall, targets: {names: [payments]},\n"
        "       command: [/bin/true]}\n"
        "schedules:\n"
        "  anomaly_scan: {every: 10m, metrics: [cpu]}\n",
    )
    settings = load_settings(env)
    assert isinstance(settings.policy, Policy)
    assert settings.policy is settings.policy
    assert "restart" in settings.policy.actions
    assert isinstance(settings.schedules, SchedulesConfig)
    assert settings.schedules is settings.schedules


def test_without_sections_there_is_an_empty_policy_and_no_schedules() -> None:
    settings = Settings()
    assert settings.policy.actions == {}
    assert settings.schedules is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("policy:\n  actions: {restart: {role: nobody}}\n", "policy"),
        ("schedules:\n  anomaly_scan: {every: often}\n", "schedules"),
    ],
)
def test_a_bad_policy_or_schedule_fails_loading_naming_the_file(
    tmp_path: Path, text: str, named: str
) -> None:
    env = config_file(tmp_path, text)
    with pytest.raises(ConfigError, match=rf"{re.escape(env['SMARTCLOUDOPS_CONFIG'])}: .*{named}"):
        load_settings(env)


def test_empty_yaml_file_means_defaults(tmp_path: Path) -> None:
    """An empty file is the same as no file."""
    assert load_settings(config_file(tmp_path, "# nothing yet\n")).file == FileSettings()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        pytest.param("histroy_limit: 5\n", "histroy_limit", id="unknown-key"),
        pytest.param("history_limit: 0\n", "history_limit", id="out-of-range"),
        pytest.param("context_ttl_seconds: soon\n", "context_ttl_seconds", id="not-a-number"),
        pytest.param("catalog:\n  cpu: [1, 2]\n", "catalog.cpu", id="nested"),
        pytest.param("log_level: chatty\n", "log_level", id="log-level"),
        pytest.param("log_format: yaml\n", "log_format", id="log-format"),
        pytest.param(
            "database:\n  timeout_seconds: 0\n", "database.timeout_seconds", id="database-timeout"
        ),
        pytest.param("database:\n  timeout: 5\n", "database.timeout", id="database-key"),
        pytest.param(
            "prometheus_max_concurrency: 0\n", "prometheus_max_concurrency", id="no-slots"
        ),
        pytest.param(
            "prometheus_queue_seconds: -1\n", "prometheus_queue_seconds", id="negative-wait"
        ),
        pytest.param(
            "dependency_check_interval_seconds: 0.1\n",
            "dependency_check_interval_seconds",
            id="check-interval",
        ),
    ],
)
def test_bad_yaml_key_is_named(tmp_path: Path, text: str, key: str) -> None:
    """A bad key in the YAML file fails start-up with the file and the key's dotted path."""
    env = config_file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert str(caught.value).startswith(f"{env['SMARTCLOUDOPS_CONFIG']}: {key}: ")


def test_unknown_catalog_metric_is_named(tmp_path: Path) -> None:
    """A catalog override for a metric the bot does not know names it and lists the real ones."""
    env = config_file(tmp_path, "catalog:\n  cpu: 'up'\n  memroy: 'node_memory'\n")
    with pytest.raises(ConfigError, match=r"catalog\.memroy: unknown metric; use one of cpu, "):
        load_settings(env)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("- a\n- b\n", "must hold a mapping", id="list"),
        pytest.param("history_limit: [1\n", "is not valid YAML", id="syntax"),
    ],
)
def test_malformed_yaml_file_is_explained(tmp_path: Path, text: str, problem: str) -> None:
    """A file that is not a YAML mapping says so and names SMARTCLOUDOPS_CONFIG."""
    with pytest.raises(ConfigError, match=f"^SMARTCLOUDOPS_CONFIG: .*{problem}"):
        load_settings(config_file(tmp_path, text))


def test_missing_yaml_file_is_explained(tmp_path: Path) -> None:
    """A config path that cannot be read names SMARTCLOUDOPS_CONFIG and the path."""
    missing = tmp_path / "nope.yaml"
    with pytest.raises(
        ConfigError, match=f"^SMARTCLOUDOPS_CONFIG: cannot read {re.escape(str(missing))}"
    ):
        load_settings({"SMARTCLOUDOPS_CONFIG": str(missing)})


def test_secrets_are_not_in_repr(tmp_path: Path) -> None:
    """Tokens, passwords (also inside URLs) and the webhook token never appear in repr/str."""
    env = {**SECRETS, **config_file(tmp_path, "alertmanager_token: alertmanager-secret-token\n")}
    settings = load_settings(env)
    assert settings.slack_bot_token == "xoxb-secret-bot-token"
    assert settings.file.alertmanager_token == "alertmanager-secret-token"
    shown = repr(settings) + str(settings)
    leaked = [secret for secret in SECRET_VALUES if secret in shown]
    assert leaked == []
    assert "redis://:***@redis:6379/0" in shown
    assert "prometheus.example:9090" in shown


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        ({"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y"}, {"slack"}),
        ({"SLACK_BOT_TOKEN": "x", "SLACK_APP_TOKEN": "y"}, {"slack"}),
        ({**OAUTH_ON, "SLACK_SIGNING_SECRET": "y"}, {"slack"}),
        ({"TEAMS_APP_ID": "app", "TEAMS_APP_PASSWORD": "pw"}, {"teams"}),
        ({"DISCORD_TOKEN": "t"}, {"discord"}),
    ],
)
def test_platform_is_enabled_by_its_credentials(env: dict[str, str], enabled: set[str]) -> None:
    """A platform is on exactly when its credentials are set."""
    settings = load_settings(env)
    flags = {
        "slack": settings.slack_enabled,
        "teams": settings.teams_enabled,
        "discord": settings.discord_enabled,
    }
    assert {name for name, on in flags.items() if on} == enabled


def test_database_calls_are_bounded_at_five_seconds_unless_configured(tmp_path: Path) -> None:
    """Every database bound defaults to 5 s; the ``database:`` section changes them."""
    defaults = load_settings({}).file.database
    assert (
        defaults.timeout_seconds,
        defaults.connect_timeout_seconds,
        defaults.statement_timeout_seconds,
        defaults.pool_timeout_seconds,
    ) == (5.0,) * 4
    text = "database:\n  timeout_seconds: 2.5\n  statement_timeout_seconds: 30\n"
    configured = load_settings(config_file(tmp_path, text)).file.database
    assert (configured.timeout_seconds, configured.statement_timeout_seconds) == (2.5, 30.0)
    assert configured.pool_timeout_seconds == 5.0


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"TEAMS_APP_PASSWORD": "teams-secret-password"}, "TEAMS_APP_ID"),
        ({"TEAMS_TENANT_ID": "72f988bf-86f1-41af-91ab-2d7cd011db47"}, "TEAMS_APP_ID"),
        ({"TEAMS_APP_ID": "app"}, "TEAMS_APP_PASSWORD"),
        ({"SLACK_SIGNING_SECRET": "signing-secret-value"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xapp-secret-app-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-secret-bot-token"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_CLIENT_ID": "1234.5678"}, "SLACK_CLIENT_SECRET"),
        ({"SLACK_CLIENT_SECRET": "oauth-secret-value"}, "SLACK_CLIENT_ID"),
        ({**OAUTH, "SLACK_SIGNING_SECRET": "signing-secret-value"}, "SLACK_TOKEN_ENCRYPTION_KEY"),
        ({**OAUTH, "SLACK_TOKEN_ENCRYPTION_KEY": FERNET_KEY}, "SLACK_SIGNING_SECRET"),
    ],
)
def test_half_configured_platform_is_refused_naming_the_missing_key(
    env: dict[str, str], missing: str
) -> None:
    """Half of a platform's credentials fails start-up (it used to leave the platform off
    without a word): one line that names the missing key and shows no secret."""
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    message = str(caught.value)
    assert message.startswith(f"{missing} is not set but ")
    assert "\n" not in message
    assert not any(secret in message for secret in SECRET_VALUES)


@pytest.mark.parametrize("url", ["mysql://ops:db-secret-pw@db/ops", "db.sqlite", "redis://x"])
def test_a_database_url_that_is_not_postgresql_or_sqlite_is_named(url: str) -> None:
    """DATABASE_URL must name PostgreSQL or SQLite; the error hides the password."""
    with pytest.raises(ConfigError, match=r"^DATABASE_URL must be") as caught:
        load_settings({"DATABASE_URL": url})
    assert "db-secret-pw" not in str(caught.value)


def test_postgresql_and_sqlite_database_urls_are_accepted() -> None:
    for url in ("postgresql://u@h/db", "postgresql+psycopg://u@h/db", "postgres://u@h/db",
                "sqlite:///x.db", "sqlite+aiosqlite:///x.db"):  # fmt: skip
        assert load_settings({"DATABASE_URL": url}).database_url == url


def test_oauth_settings_are_read_and_their_secrets_kept_out_of_repr() -> None:
    """SLACK_CLIENT_ID/SLACK_CLIENT_SECRET switch Slack to OAuth mode; the client secret and
    the token encryption key never appear in repr/str."""
    env = {**OAUTH, "SLACK_TOKEN_ENCRYPTION_KEY": FERNET_KEY, "SLACK_SIGNING_SECRET": "s"}
    settings = load_settings(env)
    assert settings.slack_oauth
    assert (settings.slack_client_id, settings.slack_client_secret) == (
        "1234.5678", "oauth-secret-value",
    )  # fmt: skip
    assert settings.slack_token_encryption_key == FERNET_KEY
    shown = repr(settings) + str(settings)
    assert "1234.5678" in shown
    assert "oauth-secret-value" not in shown
    assert FERNET_KEY not in shown


def test_a_bot_token_and_oauth_together_are_refused() -> None:
    """One workspace (a bot token) or many (OAuth): both at once is ambiguous."""
    env = {**OAUTH, "SLACK_BOT_TOKEN": "xoxb-secret-bot-token", "SLACK_SIGNING_SECRET": "s",
           "SLACK_TOKEN_ENCRYPTION_KEY": FERNET_KEY}  # fmt: skip
    with pytest.raises(ConfigError) as refused:
        load_settings(env)
    message = str(refused.value)
    assert message.startswith("SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set")
    assert not any(secret in message for secret in SECRET_VALUES)


def test_the_file_schema_has_every_setting_with_its_default() -> None:
    """The file's schema (pydantic, loaded only with a file) and the settings the bot reads
    (a dataclass) name the same keys, and an empty file gives exactly the defaults."""
    import dataclasses

    from bot.app.config_file import DatabaseSchema, FileSchema
    from storage.sql.timeouts import DatabaseTimeouts

    assert list(FileSchema.model_fields) == [f.name for f in dataclasses.fields(FileSettings)]
    assert list(DatabaseSchema.model_fields) == [
        f.name for f in dataclasses.fields(DatabaseTimeouts)
    ]
    assert FileSchema().settings() == FileSettings()
