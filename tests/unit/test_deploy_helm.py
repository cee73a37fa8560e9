"""The Helm chart, linted and rendered offline, every manifest validated strictly.

``helm-python-sdk`` embeds Helm 4's Go SDK (no helm binary, no cluster, no network);
``kubernetes-validate`` holds the Kubernetes JSON schemas. ServiceMonitor and PrometheusRule are
custom resources outside those schemas: their structure is checked here and the rules go through
``promtool``. The plain manifests in deploy/kubernetes must equal a fresh render.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

import helm_python
import kubernetes_validate.utils as kubernetes_schema  # type: ignore[import-untyped]
import pytest
import yaml

from tests.harness.require import require_binary

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "smartcloudops"
RENDER_SCRIPT = REPO / "deploy" / "kubernetes" / "render.py"
KUBE_VERSIONS = ("1.30.0", kubernetes_schema.latest_version())
CUSTOM_RESOURCES = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}
RELEASE, NAMESPACE = "chatops", "ops"

# Everything optional switched on, every default moved.
NON_DEFAULT_VALUES: dict[str, Any] = {
    "replicaCount": 5,
    "fullnameOverride": "chatops-bot",
    "image": {"repository": "registry.example.com/ops/smartcloudops", "tag": "1.2.3"},
    "imagePullSecrets": [{"name": "regcred"}],
    "prometheus": {"url": "http://prometheus-operated.monitoring:9090"},
    "alertmanager": {"url": "http://alertmanager-operated.monitoring:9093"},
    "externalRedis": {"host": "redis.data", "password": "p@ss/word", "tls": True, "db": 2},
    "externalDatabase": {"host": "pg.data", "password": "s3cr:et@x", "sslmode": "require"},
    "secrets": {"env": {"SLACK_BOT_TOKEN": "xoxb-1", "ALERTMANAGER_WEBHOOK_TOKEN": "tok"}},
    "config": {"policy": {"actions": {"restart": {"approvals": 1}}}, "schedules": {}},
    "extraEnv": [{"name": "LOG_LEVEL", "value": "debug"}],
    "extraEnvFrom": [{"secretRef": {"name": "more-secrets"}}],
    "rbac": {"namespaces": ["shop", "payments"]},
    "autoscaling": {"enabled": True, "minReplicas": 2, "targetMemoryUtilizationPercentage": 80},
    "podDisruptionBudget": {"minAvailable": 1},
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "ops", "operator": "Exists", "effect": "NoSchedule"}],
    "priorityClassName": "high",
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "tls": [{"secretName": "chatops-tls", "hosts": ["chatops.example.com"]}],
        "hosts": [
            {
                "host": "chatops.example.com",
                "paths": [
                    {"path": "/slack/events", "pathType": "Exact"},
                    {"path": "/api/messages", "pathType": "Exact"},
                ],
            }
        ],
    },
    "metrics": {
        "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
        "prometheusRule": {"enabled": True},
        "grafanaDashboard": {"enabled": True, "namespace": "monitoring"},
    },
}
EXISTING_SECRET_VALUES: dict[str, Any] = {"secrets": {"existingSecret": "ops-credentials"}}


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The chart's manifests as objects (`helm template`), empty documents dropped."""
    with helm_python.Chart.load(CHART) as chart:
        rendered = chart.render(values or {}, name=RELEASE, namespace=NAMESPACE)
    return [
        document
        for path, text in sorted(rendered.items())
        if path.endswith(".yaml")
        for document in yaml.safe_load_all(text)
        if document
    ]


def only(manifests: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (match,) = (m for m in manifests if m["kind"] == kind and not is_hook(m, "Secret"))
    return match


def of_kind(manifests: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == kind]


def is_hook(manifest: dict[str, Any], kind: str | None = None) -> bool:
    annotations = manifest["metadata"].get("annotations") or {}
    return "helm.sh/hook" in annotations and kind in (None, manifest["kind"])


def pod_labels(manifests: list[dict[str, Any]]) -> dict[str, str]:
    labels: dict[str, str] = only(manifests, "Deployment")["spec"]["template"]["metadata"]["labels"]
    return labels


def bot_container(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    (container,) = only(manifests, "Deployment")["spec"]["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def decoded(secret: dict[str, Any]) -> dict[str, str]:
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return selector.items() <= labels.items()


@pytest.fixture(scope="module")
def defaults() -> list[dict[str, Any]]:
    return render()


@pytest.fixture(scope="module")
def customised() -> list[dict[str, Any]]:
    return render(NON_DEFAULT_VALUES)


# --- lint and schema ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [{}, NON_DEFAULT_VALUES, EXISTING_SECRET_VALUES],
    ids=["defaults", "non-default", "existing-secret"],
)
def test_chart_lints_strictly(values: dict[str, Any]) -> None:
    """`helm lint --strict` reports no warning or error (info such as 'icon' is allowed)."""
    report = helm_python.lint(
        CHART, values, strict=True, namespace=NAMESPACE, kube_version="v1.30.0"
    )
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert problems == []
    assert report["errors"] == []


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"replicas": 3}, "additional properties 'replicas' not allowed"),
        ({"replicaCount": 0}, "/replicaCount"),
        ({"externalRedis": {"url": "http://redis:6379"}}, "/externalRedis/url"),
        ({"ingress": {"hosts": [{"host": "x", "paths": [{"path": "/a"}]}]}}, "pathType"),
    ],
    ids=["typo", "no-replicas", "redis-scheme", "path-type"],
)
def test_values_schema_names_the_bad_key(values: dict[str, Any], complaint: str) -> None:
    """values.schema.json stops a typo or a bad value before anything renders, naming the key."""
    report = helm_python.lint(CHART, values, strict=True)
    assert any(complaint in error for error in report["errors"]), report["errors"]
    with pytest.raises(helm_python.HelmValuesError, match=re.escape(complaint)):
        render(values)


@pytest.mark.parametrize(
    "values",
    [{}, NON_DEFAULT_VALUES, EXISTING_SECRET_VALUES],
    ids=["defaults", "non-default", "existing-secret"],
)
@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_every_manifest_validates_strictly(values: dict[str, Any], kube_version: str) -> None:
    """Each rendered Kubernetes object passes kubernetes-validate --strict (unknown fields fail)."""
    manifests = [m for m in render(values) if (m["apiVersion"], m["kind"]) not in CUSTOM_RESOURCES]
    assert len(manifests) >= 8
    for manifest in manifests:
        kubernetes_schema.validate(manifest, kube_version, strict=True)


def test_strict_validation_catches_a_misspelt_field(defaults: list[dict[str, Any]]) -> None:
    """The validator is really strict: a typo in a container field is rejected."""
    deployment = json.loads(json.dumps(only(defaults, "Deployment")))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_schema.ValidationError):
        kubernetes_schema.validate(deployment, KUBE_VERSIONS[0], strict=True)


# --- the deployment ------------------------------------------------------------------------


def test_defaults_run_three_replicas_spread_over_nodes(defaults: list[dict[str, Any]]) -> None:
    """Three replicas by default, each spread constraint selecting the bot's own pods."""
    spec = only(defaults, "Deployment")["spec"]
    assert spec["replicas"] == 3
    constraints = spec["template"]["spec"]["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in constraints} == {
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
    }
    for constraint in constraints:
        assert selects(constraint["labelSelector"]["matchLabels"], pod_labels(defaults))


def test_probes_use_readyz_and_healthz(defaults: list[dict[str, Any]]) -> None:
    """Readiness asks /readyz for what serving needs, liveness and start-up /healthz, on the
    named serving port."""
    container = bot_container(defaults)
    assert container["readinessProbe"]["httpGet"] == {
        "path": "/readyz?scope=serving",
        "port": "http",
    }
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    (port,) = container["ports"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert port == {"name": "http", "containerPort": int(env["PORT"]), "protocol": "TCP"}
    assert container["command"] == ["smartcloudops", "serve"]


def test_pods_run_non_root_on_a_read_only_root(defaults: list[dict[str, Any]]) -> None:
    """Non-root, no privilege escalation, no capabilities, read-only root, resources bounded."""
    pod = only(defaults, "Deployment")["spec"]["template"]["spec"]
    container = bot_container(defaults)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    writable = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
    assert writable == {"/tmp"}


def test_settings_file_is_the_mounted_config_map(customised: list[dict[str, Any]]) -> None:
    """SMARTCLOUDOPS_CONFIG names a file of the mounted ConfigMap holding the `config` values."""
    container = bot_container(customised)
    env = {e["name"]: e.get("value") for e in container["env"]}
    directory, filename = env["SMARTCLOUDOPS_CONFIG"].rsplit("/", 1)
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == directory]
    volumes = only(customised, "Deployment")["spec"]["template"]["spec"]["volumes"]
    (volume,) = [v for v in volumes if v["name"] == mount["name"]]
    (config_map,) = [
        m
        for m in of_kind(customised, "ConfigMap")
        if m["metadata"]["name"] == volume["configMap"]["name"]
    ]
    assert yaml.safe_load(config_map["data"][filename]) == NON_DEFAULT_VALUES["config"]
    assert env["PROMETHEUS_URL"] == NON_DEFAULT_VALUES["prometheus"]["url"]


def test_service_pdb_and_monitor_select_the_bot_pods(customised: list[dict[str, Any]]) -> None:
    """The Service, the PodDisruptionBudget and the ServiceMonitor all select the bot's pods."""
    labels = pod_labels(customised)
    service = only(customised, "Service")
    assert selects(service["spec"]["selector"], labels)
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    pdb = only(customised, "PodDisruptionBudget")
    assert selects(pdb["spec"]["selector"]["matchLabels"], labels)
    assert pdb["spec"]["minAvailable"] == 1
    monitor = only(customised, "ServiceMonitor")
    assert selects(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
    (endpoint,) = monitor["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")


def test_migration_pods_are_not_counted_as_bot_pods(customised: list[dict[str, Any]]) -> None:
    """The Service, PDB, Deployment and spread constraints never select the migration Job's pods
    (a running Job pod would otherwise receive webhook traffic it cannot serve)."""
    job_labels = only(customised, "Job")["spec"]["template"]["metadata"]["labels"]
    deployment = only(customised, "Deployment")["spec"]
    selectors = [
        only(customised, "Service")["spec"]["selector"],
        only(customised, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        deployment["selector"]["matchLabels"],
        *(
            c["labelSelector"]["matchLabels"]
            for c in deployment["template"]["spec"]["topologySpreadConstraints"]
        ),
    ]
    for selector in selectors:
        assert selects(selector, pod_labels(customised))
        assert not selects(selector, job_labels)


def test_single_replica_gets_no_disruption_budget() -> None:
    """A PDB over one replica would block node drains, so none is rendered."""
    assert of_kind(render({"replicaCount": 1}), "PodDisruptionBudget") == []


def test_autoscaling_owns_the_replica_count(customised: list[dict[str, Any]]) -> None:
    """With the HPA on, the Deployment leaves `replicas` to it and the HPA targets it."""
    deployment = only(customised, "Deployment")
    assert "replicas" not in deployment["spec"]
    hpa = only(customised, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] == 2
    resources = {m["resource"]["name"] for m in hpa["spec"]["metrics"]}
    assert resources == {"cpu", "memory"}


def test_optional_parts_are_off_by_default(defaults: list[dict[str, Any]]) -> None:
    """No Ingress, HPA or Prometheus Operator resources unless asked for."""
    kinds = {m["kind"] for m in defaults}
    assert kinds.isdisjoint(
        {"Ingress", "HorizontalPodAutoscaler", "ServiceMonitor", "PrometheusRule"}
    )
    assert [
        m for m in of_kind(defaults, "ConfigMap") if m["metadata"]["name"].endswith("-dashboard")
    ] == []


def test_ingress_exposes_only_the_platform_webhooks(customised: list[dict[str, Any]]) -> None:
    """The Ingress routes the Slack and Teams webhooks to the Service and nothing else."""
    ingress = only(customised, "Ingress")
    (rule,) = ingress["spec"]["rules"]
    paths = {p["path"] for p in rule["http"]["paths"]}
    assert paths == {"/slack/events", "/api/messages"}
    service = only(customised, "Service")
    for path in rule["http"]["paths"]:
        backend = path["backend"]["service"]
        assert backend["name"] == service["metadata"]["name"]
        assert backend["port"]["number"] == service["spec"]["ports"][0]["port"]
    assert ingress["spec"]["tls"][0]["secretName"] == "chatops-tls"


# --- secrets ----------------------------------------------------------------------------------


def test_urls_carry_escaped_passwords_that_round_trip(customised: list[dict[str, Any]]) -> None:
    """DATABASE_URL and REDIS_URL are built from host/user/password values; reserved characters
    in passwords are escaped so a URL parser gets the original password back."""
    data = decoded(only(customised, "Secret"))
    database = urlsplit(data["DATABASE_URL"])
    assert (database.scheme, database.hostname, database.port) == (
        "postgresql+psycopg",
        "pg.data",
        5432,
    )
    assert unquote(database.password or "") == "s3cr:et@x"
    assert (database.path, database.query) == ("/smartcloudops", "sslmode=require")
    redis = urlsplit(data["REDIS_URL"])
    assert (redis.scheme, redis.hostname, redis.path) == ("rediss", "redis.data", "/2")
    assert unquote(redis.password or "") == "p@ss/word"


def test_secret_holds_only_the_credentials_that_are_set(customised: list[dict[str, Any]]) -> None:
    """Set platform credentials are loaded into the pod; empty ones are left out entirely."""
    secret = only(customised, "Secret")
    data = decoded(secret)
    assert data["SLACK_BOT_TOKEN"] == "xoxb-1"
    assert data["ALERTMANAGER_WEBHOOK_TOKEN"] == "tok"
    assert "TEAMS_APP_PASSWORD" not in data
    sources = [s["secretRef"]["name"] for s in bot_container(customised)["envFrom"]]
    assert sources == [secret["metadata"]["name"], "more-secrets"]


def test_existing_secret_replaces_the_charts_own() -> None:
    """With secrets.existingSecret the chart renders no Secret; the bot and the migration Job
    read the named one."""
    manifests = render(EXISTING_SECRET_VALUES)
    assert of_kind(manifests, "Secret") == []
    assert bot_container(manifests)["envFrom"] == [{"secretRef": {"name": "ops-credentials"}}]
    job = only(manifests, "Job")
    (env,) = [
        e
        for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
        if e["name"] == "DATABASE_URL"
    ]
    assert env["valueFrom"]["secretKeyRef"] == {"name": "ops-credentials", "key": "DATABASE_URL"}
    assert (
        "checksum/secret"
        not in only(manifests, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    )


def test_pods_roll_when_config_or_secret_change() -> None:
    """Changing a setting or a credential changes the pod template (checksum annotations)."""

    def annotations(values: dict[str, Any]) -> dict[str, str]:
        deployment = only(render(values), "Deployment")
        result: dict[str, str] = deployment["spec"]["template"]["metadata"]["annotations"]
        return result

    base = annotations({})
    assert (
        annotations({"config": {"schedules": {"digest": "0 9 * * *"}}})["checksum/config"]
        != base["checksum/config"]
    )
    assert (
        annotations({"secrets": {"env": {"DISCORD_TOKEN": "d"}}})["checksum/secret"]
        != base["checksum/secret"]
    )


# --- migrations -----------------------------------------------------------------------------


def test_migrations_run_as_a_pre_install_and_pre_upgrade_hook(
    defaults: list[dict[str, Any]],
) -> None:
    """`smartcloudops migrate` runs in a hook Job; its DATABASE_URL comes from a hook Secret
    created just before it (lower weight), since the release's own Secret does not exist yet."""
    job = only(defaults, "Job")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["smartcloudops", "migrate"]
    assert container["image"] == bot_container(defaults)["image"]
    assert pod["restartPolicy"] == "Never"
    (hook_secret,) = [m for m in defaults if is_hook(m, "Secret")]
    (env,) = [e for e in container["env"] if e["name"] == "DATABASE_URL"]
    assert env["valueFrom"]["secretKeyRef"]["name"] == hook_secret["metadata"]["name"]
    hook_weight = int(hook_secret["metadata"]["annotations"]["helm.sh/hook-weight"])
    assert hook_weight < int(annotations["helm.sh/hook-weight"])
    assert set(hook_secret["metadata"]["annotations"]["helm.sh/hook"].split(",")) == {
        "pre-install",
        "pre-upgrade",
    }
    assert decoded(hook_secret)["DATABASE_URL"] == decoded(only(defaults, "Secret"))["DATABASE_URL"]


# --- RBAC -------------------------------------------------------------------------------------


EXECUTOR_RULES = {
    ("deployments", ("get", "list", "patch")),
    ("deployments/scale", ("get", "patch", "update")),
    ("replicasets", ("get", "list")),
}


def rules_of(role: dict[str, Any]) -> set[tuple[str, tuple[str, ...]]]:
    result = set()
    for rule in role["rules"]:
        assert rule["apiGroups"] == ["apps"]
        for resource in rule["resources"]:
            result.add((resource, tuple(sorted(rule["verbs"]))))
    return result


def test_rbac_grants_only_the_executor_verbs_in_the_release_namespace(
    defaults: list[dict[str, Any]],
) -> None:
    """By default one Role in the release namespace: deployments get/list/patch, the scale
    subresource get/patch/update, replicasets get/list; no ClusterRole."""
    (role,) = of_kind(defaults, "Role")
    assert role["metadata"]["namespace"] == NAMESPACE
    assert rules_of(role) == EXECUTOR_RULES
    assert of_kind(defaults, "ClusterRole") == of_kind(defaults, "ClusterRoleBinding") == []


def test_rbac_follows_the_configured_namespaces(customised: list[dict[str, Any]]) -> None:
    """One Role and RoleBinding per configured namespace, bound to the bot's ServiceAccount."""
    roles = {r["metadata"]["namespace"]: r for r in of_kind(customised, "Role")}
    bindings = {b["metadata"]["namespace"]: b for b in of_kind(customised, "RoleBinding")}
    assert set(roles) == set(bindings) == {"shop", "payments"}
    account = only(customised, "ServiceAccount")["metadata"]["name"]
    assert (
        only(customised, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == account
    )
    for namespace, binding in bindings.items():
        assert rules_of(roles[namespace]) == EXECUTOR_RULES
        assert binding["roleRef"]["name"] == roles[namespace]["metadata"]["name"]
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": account, "namespace": NAMESPACE}
        ]


# --- Prometheus Operator ----------------------------------------------------------------------


def test_service_monitor_structure(customised: list[dict[str, Any]]) -> None:
    """The ServiceMonitor has the fields the operator requires and relabels job=smartcloudops,
    which the alert rules and the dashboard select on."""
    monitor = only(customised, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert set(endpoint) <= {"port", "path", "interval", "scrapeTimeout", "relabelings"}
    assert {"action": "replace", "targetLabel": "job", "replacement": "smartcloudops"} in endpoint[
        "relabelings"
    ]


def test_prometheus_rule_is_the_shared_rule_file_and_passes_promtool(
    customised: list[dict[str, Any]], tmp_path: Path
) -> None:
    """The PrometheusRule's spec is the rule file docker-compose loads; promtool accepts it."""
    rule = only(customised, "PrometheusRule")
    shared = yaml.safe_load((CHART / "files" / "alerts" / "smartcloudops.rules.yml").read_text())
    assert rule["spec"] == shared
    for group in rule["spec"]["groups"]:
        assert set(group) <= {"name", "interval", "rules"}
        for alert in group["rules"]:
            assert set(alert) <= {"alert", "expr", "for", "labels", "annotations"}
    extracted = tmp_path / "prometheusrule.yml"
    extracted.write_text(yaml.safe_dump(rule["spec"]))
    promtool = require_binary("promtool")
    result = subprocess.run(
        [promtool, "check", "rules", str(extracted)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 6 rules found" in result.stdout


def test_grafana_dashboard_config_map_is_the_compose_dashboard(
    customised: list[dict[str, Any]],
) -> None:
    """The dashboard ConfigMap carries the same JSON docker-compose provisions, labelled for the
    Grafana sidecar, in the namespace asked for."""
    (dashboard,) = [
        m for m in of_kind(customised, "ConfigMap") if m["metadata"]["name"].endswith("-dashboard")
    ]
    assert dashboard["metadata"]["namespace"] == "monitoring"
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    shared = json.loads((CHART / "files" / "dashboards" / "smartcloudops.json").read_text())
    assert json.loads(dashboard["data"]["smartcloudops.json"]) == shared
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    mounted = [v.split(":")[0] for v in compose["services"]["grafana"]["volumes"]]
    assert "./deploy/helm/smartcloudops/files/dashboards" in mounted


# --- chart metadata and plain manifests -------------------------------------------------------


def test_chart_needs_no_download() -> None:
    """No subchart is declared, so lint and install need no `helm dependency build` (network)."""
    assert helm_python.dependency_list(CHART) == []
    with helm_python.Chart.load(CHART) as chart:
        assert chart.metadata["name"] == "smartcloudops"
        assert chart.values["replicaCount"] == 3


def load_render_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_kubernetes_render", RENDER_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plain_manifests_match_a_fresh_render() -> None:
    """deploy/kubernetes/*.yaml equal what render.py produces from the chart now."""
    script = load_render_script()
    files = script.render_manifests()
    assert {path.name for path in files} == {"smartcloudops.yaml", "smartcloudops-monitoring.yaml"}
    assert script.stale_files() == [], f"run {sys.executable} {RENDER_SCRIPT.relative_to(REPO)}"


def test_plain_manifests_validate_and_carry_no_secret() -> None:
    """The committed plain manifests validate strictly and contain no Secret: users create
    `smartcloudops-env` themselves."""
    directory = RENDER_SCRIPT.parent
    manifests = [
        document
        for path in sorted(directory.glob("smartcloudops*.yaml"))
        for document in yaml.safe_load_all(path.read_text())
        if document
    ]
    assert of_kind(manifests, "Secret") == []
    assert {"Deployment", "Job", "ServiceMonitor", "PrometheusRule"} <= {
        m["kind"] for m in manifests
    }
    for manifest in manifests:
        if (manifest["apiVersion"], manifest["kind"]) not in CUSTOM_RESOURCES:
            kubernetes_schema.validate(manifest, KUBE_VERSIONS[0], strict=True)
    assert bot_container(manifests)["envFrom"] == [{"secretRef": {"name": "smartcloudops-env"}}]
