"""Checks on what the bot sent to the fake Discord."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.discord_server import FakeDiscord, RestCall

_MESSAGE_SENDS = (
    ("POST", r"/channels/\d+/messages"),
    ("PATCH", r"/channels/\d+/messages/\d+"),
    ("POST", r"/webhooks/\d+/[^/]+"),
    ("PATCH", r"/webhooks/\d+/[^/]+/messages/[^/]+"),
)
_CALLBACK = r"/interactions/\d+/[^/]+/callback"


def message_payloads(fake: FakeDiscord) -> list[tuple[RestCall, dict[str, Any]]]:
    """Every request that posted or edited a message, with its message payload."""
    out: list[tuple[RestCall, dict[str, Any]]] = []
    for call in fake.calls:
        body = call.body if isinstance(call.body, dict) else {}
        if any(call.method == m and re.fullmatch(p, call.path) for m, p in _MESSAGE_SENDS):
            out.append((call, body))
        elif (
            call.method == "POST"
            and re.fullmatch(_CALLBACK, call.path)
            and body.get("type") in (4, 7)
        ):
            out.append((call, body.get("data") or {}))
    return out


def pings_nobody(payload: dict[str, Any]) -> bool:
    """Whether Discord would ping nobody for this payload: no parsed mention kinds, no
    explicit users or roles, no reply ping."""
    allowed = payload.get("allowed_mentions")
    if not isinstance(allowed, dict):
        return False
    return (
        allowed.get("parse") == []
        and not allowed.get("users")
        and not allowed.get("roles")
        and not allowed.get("replied_user", False)
    )


def assert_nobody_pinged(fake: FakeDiscord) -> None:
    for call, payload in message_payloads(fake):
        assert pings_nobody(payload), f"{call.method} {call.path} could ping: {payload}"
