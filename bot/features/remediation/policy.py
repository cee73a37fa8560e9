"""The remediation policy: which actions exist, who may request and approve them, on which
targets, within which bounds, through which executor; who may silence, subscribe to and
acknowledge alerts from chat (``alerts:``); who may read the audit log, raw PromQL and the
alert and silence lists (``read:``, open unless set); which Slack teams, Teams tenants and
Discord guilds are served at all (``tenants:``, all unless set); and how many expensive
queries one person may run (``limits:``).

It comes from the ``policy:`` section of the YAML config file and is validated at start-up;
every error names the offending key (``policy.actions.scale.replicas.max: ...``). Anything
the policy does not grant is denied: an empty policy allows nothing.
See ``deploy/policy.example.yaml`` for a commented example.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.core.errors import ConfigError
from bot.features.remediation.model import Actor

PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,252}")
"""A target as it may reach an executor: no shell, markup or option syntax, no whitespace."""

_PATTERN = re.compile(r"[A-Za-z0-9._:*?\[\]-]{1,253}")
_ACTION_NAME = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_PRINCIPAL = re.compile(r"[a-z][a-z0-9_-]*:\S+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
KUBERNETES_OPERATIONS = ("restart", "scale", "rollback")
PLACEHOLDERS = frozenset({"target", "replicas", "action"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(_Strict):
    """Who holds a role: platform user ids (``slack:U123``) and, optionally, every member
    of a channel (``slack:C0OPS``)."""

    users: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _ids_have_platforms(self) -> Role:
        for key, ids in (("users", self.users), ("channels", self.channels)):
            for index, value in enumerate(ids):
                if not _PRINCIPAL.fullmatch(value):
                    raise ValueError(f"{key}[{index}]: {value!r} must look like 'platform:id'")
        return self


class Targets(_Strict):
    """Allowed targets: exact names and shell-style patterns (``web-*``)."""

    names: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _plain(self) -> Targets:
        for index, name in enumerate(self.names):
            if not PLAIN_NAME.fullmatch(name):
                raise ValueError(f"names[{index}]: {name!r} is not a plain name")
        for index, pattern in enumerate(self.patterns):
            if not _PATTERN.fullmatch(pattern):
                raise ValueError(f"patterns[{index}]: {pattern!r} is not a plain name pattern")
        return self

    def allows(self, target: str) -> bool:
        return target in self.names or any(fnmatchcase(target, p) for p in self.patterns)

    def describe(self) -> str:
        return ", ".join((*self.names, *self.patterns)) or "none"


class ReplicaBounds(_Strict):
    """Bounds of a scale: an absolute range and the largest relative change per request."""

    min: int = Field(default=1, ge=0)
    max: int = Field(default=20, ge=1, le=10_000)
    max_change_percent: float | None = Field(default=50.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> ReplicaBounds:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class RateLimit(_Strict):
    """At most ``count`` requests per ``per_seconds`` by one user, for one action."""

    count: int = Field(ge=1)
    per_seconds: int = Field(ge=1)


class Action(_Strict):
    """One action people may request."""

    executor: str
    operation: Literal["restart", "scale", "rollback", "run"] | None = None
    targets: Targets
    role: str
    approver_role: str | None = None
    approvals: int = Field(default=1, ge=0, le=2)
    cooldown_seconds: int = Field(default=0, ge=0)
    rate_limit: RateLimit | None = None
    ttl_seconds: int = Field(default=900, ge=30, le=7 * 86400)
    allow_dm: bool = False
    replicas: ReplicaBounds | None = None
    command: tuple[str, ...] = ()
    description: str = ""

    @property
    def approver(self) -> str:
        return self.approver_role or self.role


class KubernetesExecutor(_Strict):
    """Deployments in one namespace, through the official client. Credentials come from
    ``kubeconfig``/``context``, the in-cluster service account, or the default kubeconfig."""

    type: Literal["kubernetes"]
    namespace: str = "default"
    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    timeout_seconds: float = Field(default=15.0, gt=0, le=300)


class WebhookExecutor(_Strict):
    """A runbook service (Rundeck, AWX, a team's own) behind a URL; requests are signed
    with HMAC-SHA256 using the secret in the environment variable ``secret_env``."""

    type: Literal["webhook"]
    url: str
    secret_env: str
    timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    max_output_bytes: int = Field(default=4000, ge=100, le=100_000)

    @model_validator(mode="after")
    def _checked(self) -> WebhookExecutor:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url: must be an http(s) URL, got {self.url!r}")
        if not _ENV_NAME.fullmatch(self.secret_env):
            raise ValueError(f"secret_env: {self.secret_env!r} is not an environment name")
        return self


class CommandExecutor(_Strict):
    """Local runbooks: each action's ``command`` is an argv, run without a shell."""

    type: Literal["command"]
    timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    max_output_bytes: int = Field(default=4000, ge=100, le=100_000)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None


ExecutorConfig = Annotated[
    KubernetesExecutor | WebhookExecutor | CommandExecutor, Field(discriminator="type")
]

AlertPermission = Literal["silence", "subscribe", "acknowledge"]
ALERT_PERMISSIONS: tuple[AlertPermission, ...] = ("silence", "subscribe", "acknowledge")


class AlertGrants(_Strict):
    """Which roles may change alerting from chat: ``silence`` (silence and unsilence),
    ``subscribe`` (subscribe and unsubscribe a channel) and ``acknowledge`` (ack). A
    permission no role holds is refused to everyone. ``allow_dm`` lets silences and
    subscriptions be made from direct messages (off: others should see them). Listing
    alerts, silences and subscriptions needs nothing."""

    silence: tuple[str, ...] = ()
    subscribe: tuple[str, ...] = ()
    acknowledge: tuple[str, ...] = ()
    allow_dm: bool = False

    @field_validator("silence", "subscribe", "acknowledge", mode="before")
    @classmethod
    def _one_role_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    def roles_for(self, permission: AlertPermission) -> tuple[str, ...]:
        roles: tuple[str, ...] = getattr(self, permission)
        return roles


ReadPermission = Literal["history", "promql", "alerts", "silences"]
READ_PERMISSIONS: tuple[ReadPermission, ...] = ("history", "promql", "alerts", "silences")


class ReadGrants(_Strict):
    """Which roles may read what from chat: ``history`` (the remediation audit log),
    ``promql`` (raw PromQL), ``alerts`` (the list of firing alerts) and ``silences`` (the
    list of silences). A read that is not set is open to everyone, as it always was; once it
    lists roles, only those roles may (an empty list: nobody)."""

    history: tuple[str, ...] | None = None
    promql: tuple[str, ...] | None = None
    alerts: tuple[str, ...] | None = None
    silences: tuple[str, ...] | None = None

    @field_validator("history", "promql", "alerts", "silences", mode="before")
    @classmethod
    def _one_role_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    def roles_for(self, permission: ReadPermission) -> tuple[str, ...] | None:
        """The roles that may, or None when the read is open to everyone."""
        roles: tuple[str, ...] | None = getattr(self, permission)
        return roles


class Tenants(_Strict):
    """Allowlists of the organisations served: Slack team ids (``T0123``), Teams (Entra)
    tenant ids, Discord guild ids. A platform without a list serves every tenant (the
    default); with one, a message from any other tenant, or from none (a Discord direct
    message), is refused before anything reads it."""

    slack: tuple[str, ...] | None = None
    teams: tuple[str, ...] | None = None
    discord: tuple[str, ...] | None = None

    @field_validator("slack", "teams", "discord", mode="before")
    @classmethod
    def _ids_as_text(cls, value: object) -> object:
        """A Discord snowflake written without quotes is a YAML integer: take it as text."""
        if isinstance(value, (str, int)):
            value = [value]
        if isinstance(value, list):
            return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value

    @model_validator(mode="after")
    def _plain_ids(self) -> Tenants:
        for platform in ("slack", "teams", "discord"):
            for index, value in enumerate(getattr(self, platform) or ()):
                if not _TENANT_ID.fullmatch(value):
                    raise ValueError(f"{platform}[{index}]: {value!r} is not a plain id")
        return self

    def allowlist(self, platform: str) -> frozenset[str] | None:
        """The ids ``platform`` may come from (case-folded), or None: every tenant."""
        ids: tuple[str, ...] | None = getattr(self, platform, None)
        return None if ids is None else frozenset(i.casefold() for i in ids)


_TENANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class Limits(_Strict):
    """Per-person limits on expensive reads: PromQL over more than
    ``promql_long_range_seconds``, anomaly scans and forecasts share one allowance of
    ``expensive.count`` per ``expensive.per_seconds`` (``expensive: null`` turns it off)."""

    expensive: RateLimit | None = Field(default_factory=lambda: RateLimit(count=5, per_seconds=60))
    promql_long_range_seconds: int = Field(default=6 * 3600, ge=60)


class Policy(_Strict):
    """The validated policy. Build it with :func:`load_policy`."""

    roles: dict[str, Role] = Field(default_factory=dict)
    executors: dict[str, ExecutorConfig] = Field(default_factory=dict)
    actions: dict[str, Action] = Field(default_factory=dict)
    alerts: AlertGrants = Field(default_factory=AlertGrants)
    read: ReadGrants = Field(default_factory=ReadGrants)
    tenants: Tenants = Field(default_factory=Tenants)
    limits: Limits = Field(default_factory=Limits)

    @field_validator("read", "tenants", mode="before")
    @classmethod
    def _empty_section(cls, value: object) -> object:
        """``tenants:`` with every line under it commented out is YAML null: the defaults."""
        return {} if value is None else value

    def roles_of(self, actor: Actor) -> frozenset[str]:
        """Every role ``actor`` holds, by principal or (if granted) by channel."""
        return frozenset(
            name
            for name, role in self.roles.items()
            if actor.principal in role.users or actor.channel in role.channels
        )

    def operation_of(self, name: str) -> str:
        """The executor-level operation of action ``name``."""
        action = self.actions[name]
        if action.operation is not None:
            return action.operation
        return name if name in KUBERNETES_OPERATIONS else "run"


def load_policy(raw: Mapping[str, Any], *, key: str = "policy") -> Policy:
    """Validate ``raw`` (the YAML ``policy:`` mapping); :class:`ConfigError` names the bad key."""
    try:
        policy = Policy.model_validate(dict(raw))
    except ValidationError as exc:
        raise ConfigError(_describe(key, exc)) from None
    for problem in _cross_check(policy):
        raise ConfigError(f"{key}.{problem}")
    return policy


def _describe(key: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = list(first["loc"])
    if len(loc) > 2 and loc[0] == "executors" and loc[2] in _EXECUTOR_TYPES:
        del loc[2]  # the discriminated union's tag, not a key the user wrote
    path = ".".join(str(part) for part in loc)
    message = str(first["msg"]).removeprefix("Value error, ")
    inner = _INNER_KEY.match(message)
    if inner:  # a model validator's message that names the field inside the model
        path = f"{path}.{inner.group(1)}" if path else inner.group(1)
        message = inner.group(2)
    return f"{key}.{path}: {message}" if path else f"{key}: {message}"


_INNER_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?): (.*)", re.DOTALL)


_EXECUTOR_TYPES = frozenset({"kubernetes", "webhook", "command"})


def _cross_check(policy: Policy) -> list[str]:
    problems: list[str] = []
    for name, action in policy.actions.items():
        where = f"actions.{name}"
        if not _ACTION_NAME.fullmatch(name):
            problems.append(f"{where}: action names are lower-case words like 'flush-cache'")
        problems.extend(_check_refs(policy, where, action))
        executor = policy.executors.get(action.executor)
        if executor is not None:
            problems.extend(_check_executor_fit(policy, name, where, action, executor))
    problems.extend(_check_alert_roles(policy))
    return problems


def _check_alert_roles(policy: Policy) -> list[str]:
    known = ", ".join(policy.roles) or "none defined"
    granted = [
        (f"alerts.{permission}", policy.alerts.roles_for(permission))
        for permission in ALERT_PERMISSIONS
    ] + [(f"read.{permission}", policy.read.roles_for(permission) or ())
         for permission in READ_PERMISSIONS]  # fmt: skip
    return [
        f"{where}[{index}]: unknown role {role!r} ({known})"
        for where, roles in granted
        for index, role in enumerate(roles)
        if role not in policy.roles
    ]


def _check_refs(policy: Policy, where: str, action: Action) -> list[str]:
    problems = []
    if action.executor not in policy.executors:
        known = ", ".join(policy.executors) or "none defined"
        problems.append(f"{where}.executor: unknown executor {action.executor!r} ({known})")
    for field, role in (("role", action.role), ("approver_role", action.approver_role)):
        if role is not None and role not in policy.roles:
            known = ", ".join(policy.roles) or "none defined"
            problems.append(f"{where}.{field}: unknown role {role!r} ({known})")
    if not action.targets.names and not action.targets.patterns:
        problems.append(f"{where}.targets: give at least one name or pattern")
    return problems


def _check_executor_fit(
    policy: Policy, name: str, where: str, action: Action, executor: ExecutorConfig
) -> list[str]:
    operation = policy.operation_of(name)
    if isinstance(executor, KubernetesExecutor) and operation not in KUBERNETES_OPERATIONS:
        return [f"{where}.operation: the kubernetes executor can restart, scale or rollback"]
    if operation == "scale" and action.replicas is None:
        return [f"{where}.replicas: a scale action needs replica bounds (min, max)"]
    if isinstance(executor, CommandExecutor):
        return _check_command(where, action.command)
    if action.command:
        return [f"{where}.command: only actions on a command executor take a command"]
    return []


def _check_command(where: str, command: tuple[str, ...]) -> list[str]:
    if not command:
        return [f"{where}.command: a command runbook needs an argv list"]
    for index, arg in enumerate(command):
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(arg) if f is not None}
        except ValueError:
            return [f"{where}.command[{index}]: unbalanced braces in {arg!r}"]
        unknown = fields - PLACEHOLDERS
        if unknown:
            allowed = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
            return [f"{where}.command[{index}]: unknown placeholder {sorted(unknown)[0]!r}; "
                    f"use {allowed}"]  # fmt: skip
    return []
