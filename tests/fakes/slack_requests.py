"""Requests as Slack sends them: real-shaped payloads from ``tests/data/slack`` filled in,
encoded the way Slack encodes each kind, and signed the way Slack signs them
(``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the signing secret)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

DATA = Path(__file__).resolve().parent.parent / "data" / "slack"

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def payload(name: str) -> dict[str, Any]:
    """A fresh copy of the recorded payload ``tests/data/slack/<name>.json``."""
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's request signature (https://docs.slack.dev/authentication/verifying-requests-from-slack)."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SlackRequest:
    """A body with its content type; :meth:`headers` signs it."""

    body: str
    content_type: str

    def headers(
        self, secret: str, *, timestamp: int | None = None, retry_num: int | None = None
    ) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": self.content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sign(secret, ts, self.body),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return headers


def slash_command(text: str, *, response_url: str, **fields: str) -> SlackRequest:
    """``/ops <text>`` as Slack POSTs it (form fields)."""
    body = payload("slash_command") | {"text": text, "response_url": response_url} | fields
    return SlackRequest(urlencode(body), FORM)


def event_callback(
    event: dict[str, Any], *, event_id: str, team_id: str | None = None
) -> SlackRequest:
    """An Events API ``event_callback`` wrapping ``event`` (JSON); with ``team_id``, from that
    workspace (the recorded payloads are from ``T0001``)."""
    body = payload("app_mention") | {"event": event, "event_id": event_id}
    if team_id is not None:
        body["team_id"] = team_id
        body["authorizations"][0]["team_id"] = team_id
        if "team" in event:
            body["event"] = event | {"team": team_id}
    return SlackRequest(json.dumps(body), JSON)


def app_uninstalled(*, team_id: str, event_id: str) -> SlackRequest:
    """Slack's notice that a workspace removed the app (its tokens are already revoked)."""
    body = payload("app_mention") | {
        "team_id": team_id, "event_id": event_id, "event": {"type": "app_uninstalled"},
    }  # fmt: skip
    del body["authorizations"]
    return SlackRequest(json.dumps(body), JSON)


def tokens_revoked(*, team_id: str, bot_user_ids: list[str], event_id: str) -> SlackRequest:
    """Slack's notice that a workspace's bot tokens were revoked."""
    event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": bot_user_ids}}
    body = payload("app_mention") | {"team_id": team_id, "event_id": event_id, "event": event}
    del body["authorizations"]
    return SlackRequest(json.dumps(body), JSON)


def app_mention(text: str, *, user: str, channel: str, ts: str, thread_ts: str | None = None
                ) -> dict[str, Any]:  # fmt: skip
    event = payload("app_mention")["event"] | {
        "text": text, "user": user, "channel": channel, "ts": ts, "event_ts": ts,
    }  # fmt: skip
    if thread_ts:
        event["thread_ts"] = thread_ts
    return dict(event)


def direct_message(text: str, *, user: str, channel: str, ts: str, **extra: Any) -> dict[str, Any]:
    event = payload("message_im")["event"] | {
        "text": text, "user": user, "channel": channel, "ts": ts, "event_ts": ts,
    }  # fmt: skip
    return dict(event | extra)


def block_actions(
    *,
    user_id: str,
    response_url: str,
    value: str = "approve 12",
    label: str = "Approve",
    thread_ts: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    ephemeral: bool = False,
) -> SlackRequest:
    """A click on the recorded message's first button, as the ``payload`` form field; with
    ``blocks`` (a message the bot sent), a click on the first button of those blocks. An
    ``ephemeral`` message's click carries no ``message``, as Slack sends it."""
    body = payload("block_actions")
    body["user"] |= {"id": user_id, "username": f"user-{user_id.lower()}"}
    body["response_url"] = response_url
    action = body["actions"][0]
    if blocks is not None:
        [actions, *_] = [
            b for b in blocks if b["type"] == "actions" and b["elements"][0]["type"] == "button"
        ]
        button = actions["elements"][0]
        body["message"]["blocks"] = blocks
        action |= {"action_id": button["action_id"], "block_id": actions["block_id"],
                   "text": button["text"], "value": button["value"]}  # fmt: skip
    else:
        action["value"] = value
        action["text"]["text"] = label
        body["message"]["blocks"][1]["elements"][0] |= {"value": value}
    if thread_ts:
        body["message"]["thread_ts"] = thread_ts
        body["container"]["thread_ts"] = thread_ts
    if ephemeral:
        body["container"]["is_ephemeral"] = True
        del body["message"]
    return SlackRequest(urlencode({"payload": json.dumps(body)}), FORM)


def url_verification() -> SlackRequest:
    return SlackRequest(json.dumps(payload("url_verification")), JSON)
