"""Canonical commands: the terse form of a resolved intent (``metric cpu web-1 2h``).

Shown to users as "I read this as ..." and logged; parsing a canonical command gives back
the same intent and slots, which the tests check for every intent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from intents.durations import format_duration
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
    return format_duration(value) if isinstance(value, int) else None


def _metric(slots: Slots) -> str:
    return _words("metric", slots.get("metric"), slots.get("target"), _span(slots, "range"))


def _anomaly(slots: Slots) -> str:
    return _words("anomalies", slots.get("metric"), _for(slots), _span(slots, "range"))


def _for(slots: Slots) -> str | None:
    target = slots.get("target")
    return None if target is None else f"for {target}"


def _promql(slots: Slots) -> str:
    return _words("promql", slots.get("expr"), _span(slots, "range"))


def _silence(slots: Slots) -> str:
    alert, target = slots.get("alertname"), slots.get("target")
    on = _words("on", target) if alert and target else target
    duration = _span(slots, "duration")
    return _words("silence", alert, on, "for" if duration else None, duration)


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
    "subscribe": _scoped("subscribe"),
    "unsubscribe": _scoped("unsubscribe"),
}
