"""Intent values shared by the parser, the context store and the dispatcher (see CONTRACT.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SlotValue = str | int

INTENT_NAMES: tuple[str, ...] = (
    "help",
    "metric_query",
    "promql",
    "status",
    "alerts_list",
    "alert_silence",
    "anomaly_query",
    "remediation",
    "approve",
    "deny",
    "subscribe",
    "unsubscribe",
    "unknown",
)

METRICS: tuple[str, ...] = (
    "cpu",
    "memory",
    "disk",
    "network",
    "latency",
    "error_rate",
    "request_rate",
)

SEVERITIES: tuple[str, ...] = ("critical", "warning", "info")


@dataclass(frozen=True, slots=True)
class Intent:
    """What the user wants. A slot the user did not give (and the conversation does not
    supply) is absent from ``slots``, never ``None``."""

    name: str
    confidence: float
    slots: Mapping[str, SlotValue] = field(default_factory=dict)
    canonical: str | None = None
    rejected: Mapping[str, str] = field(default_factory=dict)
    """Slots the user gave but the parser could not read, by slot name, as written
    (``{"range": "0s"}``, ``{"target": "🚀"}``). Never a slot: a handler that sees one says
    what was wrong instead of answering a different question with its default."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "intent": self.name,
            "confidence": round(float(self.confidence), 4),
            "slots": dict(self.slots),
        }
        if self.canonical:
            out["canonical"] = self.canonical
        if self.rejected:
            out["rejected"] = dict(self.rejected)
        return out


@dataclass(frozen=True, slots=True)
class Turn:
    """One remembered turn of a conversation: the resolved intent and its slots."""

    intent: str
    slots: Mapping[str, SlotValue]
    at: float

    def to_json(self) -> dict[str, Any]:
        return {"intent": self.intent, "slots": dict(self.slots), "at": self.at}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Turn:
        slots = {
            str(k): v for k, v in dict(data.get("slots", {})).items() if isinstance(v, str | int)
        }
        return cls(intent=str(data["intent"]), slots=slots, at=float(data.get("at", 0.0)))


INTENT_SLOTS: Mapping[str, tuple[str, ...]] = {
    "help": ("topic",),
    "metric_query": ("metric", "target", "range"),
    "promql": ("expr", "range"),
    "status": ("target",),
    "alerts_list": ("severity", "target"),
    "alert_silence": ("alertname", "target", "duration"),
    "anomaly_query": ("target", "metric", "range"),
    "remediation": ("action", "target", "replicas"),
    "approve": ("request_id",),
    "deny": ("request_id",),
    "subscribe": ("severity", "target"),
    "unsubscribe": ("severity", "target"),
    "unknown": (),
}
"""The slots each intent may carry (CONTRACT.md "Intent JSON")."""
