"""Canonical commands: the terse form of a resolved intent (``metric cpu web-1 2h``).

Shown to users as "I read this as ..." and logged; parsing a canonical command gives back
the same intent and slots, which the tests check for every intent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from intents.analysis import is_camel_name
from intents.durations import compact_duration
from intents.model import SlotValue

Slots = Mapping[str, SlotValue]


def canonical_command(intent: str, slots: Slots) -> str | None:
    """The terse command for ``intent`` with ``slots``, or ``None`` for ``unknown``."""
    writer = _WRITERS.get(intent)
    return writer(slots) if writer else None


def _words(*parts: object) -> str:
    return " ".join(str(p) for p in parts if p is not None and p != "")


def _span(slots: Slots, name: str) -> str | None:
    value = slots.get(name)
    return compact_duration(value) if isinstance(value, int) else None


def _when(slots: Slots) -> str | None:
    """The look-back ("2h") or the absolute window ("from <iso> to <iso>", "since <iso>")."""
    start, end = slots.get("start"), slots.get("end")
    if not isinstance(start, int):
        return _span(slots, "range")
    if isinstance(end, int):
        return f"from {_iso(start)} to {_iso(end)}"
    return f"since {_iso(start)}"


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _quantile(slots: Slots) -> str | None:
    value = slots.get("quantile")
    if not isinstance(value, float):
        return None
    return "p" + f"{value:.3f}".removeprefix("0.").rstrip("0").ljust(2, "0")


def _targets(slots: Slots) -> str | None:
    targets = slots.get("targets")
    return " vs ".join(targets) if isinstance(targets, tuple) else None


def _metric(slots: Slots) -> str:
    return _words(
        "metric",
        _quantile(slots),
        slots.get("metric"),
        slots.get("target"),
        _targets(slots),
        _when(slots),
    )


def _anomaly(slots: Slots) -> str:
    return _words("anomalies", slots.get("metric"), _for(slots), _when(slots))


def _forecast(slots: Slots) -> str:
    threshold = slots.get("threshold")
    horizon = _span(slots, "horizon")
    return _words(
        "forecast",
        _quantile(slots),
        slots.get("metric"),
        _for(slots),
        "over" if threshold is not None else None,
        f"{threshold:g}" if isinstance(threshold, float | int) else None,
        "in" if horizon else None,
        horizon,
    )


def _history(slots: Slots) -> str:
    return _words("history", slots.get("action"), slots.get("target"), _when(slots))


def _silences(slots: Slots) -> str:
    return _words("silences", _alert(slots.get("alertname")), _for(slots))


def _for(slots: Slots) -> str | None:
    target = slots.get("target")
    return None if target is None else f"for {target}"


def _promql(slots: Slots) -> str:
    return _words("promql", slots.get("expr"), _when(slots))


def _silence(slots: Slots) -> str:
    alert, target = slots.get("alertname"), slots.get("target")
    on = _words("on", target) if alert and target else target
    duration = _span(slots, "duration")
    return _words("silence", _alert(alert), on, "for" if duration else None, duration)


def _alert(name: SlotValue | None) -> str | None:
    """An alert name as the parser reads it back: CamelCase on its own ("HighCPU"), any
    other after the word "alert" ("alert disk_pressure"), or it would be read as a target."""
    if name is None:
        return None
    text = str(name)
    return text if is_camel_name(text) else f"alert {text}"


def _remediation(slots: Slots) -> str:
    action, target = slots.get("action"), slots.get("target")
    if action == "scale":
        replicas = slots.get("replicas")
        return _words("scale", target, "to" if replicas is not None else None, replicas)
    if action in ("restart", "rollback", None):
        return _words(action or "remediate", target)
    return _words("run", action, "on" if target else None, target)


def _simple(word: str, *names: str) -> Callable[[Slots], str]:
    def write(slots: Slots) -> str:
        return _words(word, *(slots.get(n) for n in names))

    return write


def _scoped(word: str) -> Callable[[Slots], str]:
    def write(slots: Slots) -> str:
        return _words(word, slots.get("severity"), _for(slots))

    return write


_WRITERS: dict[str, Callable[[Slots], str]] = {
    "help": _simple("help", "topic"),
    "metric_query": _metric,
    "promql": _promql,
    "status": _simple("status", "target"),
    "alerts_list": _scoped("alerts"),
    "alert_silence": _silence,
    "anomaly_query": _anomaly,
    "remediation": _remediation,
    "approve": _simple("approve", "request_id"),
    "deny": _simple("deny", "request_id"),
    "reason": _simple("reason", "request_id", "text"),
    "subscribe": _scoped("subscribe"),
    "unsubscribe": _scoped("unsubscribe"),
    "subscriptions": _simple("subscriptions"),
    "whoami": _simple("whoami"),
    "share": _simple("share"),
    "silences": _silences,
    "unsilence": _simple("unsilence", "silence_id", "alertname", "target"),
    "ack": _simple("ack", "alert_id"),
    "history": _history,
    "health": _simple("health", "target"),
    "forecast": _forecast,
    "confirm": _simple("", "answer"),
}
