"""Teams activities for tests: the real-shaped payloads in ``tests/data/teams`` with the
parts a test varies (connector URL, ids, text, click data) replaced."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from botbuilder.schema import Activity

DATA = Path(__file__).resolve().parents[1] / "data" / "teams"

BOT_ID = "28:c9e8c047-2a74-40a2-b28a-b162d5f5327c"
BOT_NAME = "SmartCloudOps"
MEGAN_AAD = "8f3bb7b5-8d4c-4b8e-9d2f-2a1e3c4d5e6f"
ADELE_AAD = "3c2b1a09-8f7e-4d6c-b5a4-9382716f5e4d"
CHANNEL = "19:0b8e3a5f9c1d4e2f8a7b6c5d4e3f2a1b@thread.tacv2"
TEAM = "19:d3f1c2b4a5e6478f9a0b1c2d3e4f5a6b@thread.tacv2"
PERSONAL = "a:1pL5mNVqkcI7F3fUqVrXk6vGq0W8DhXo2mT7cZxHn1sKjR4aLb9eQwYtUiOp3zSx5dFgHjKlMnBvCx"
GROUP_CHAT = "19:2a7f3c4d5e6f47a8b9c0d1e2f3a4b5c6@thread.v2"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


@functools.cache
def _raw(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return payload


def payload(
    name: str,
    *,
    service_url: str | None = None,
    activity_id: str | None = None,
    text: str | None = None,
    value: Any = None,
    reply_to_id: str | None = None,
) -> dict[str, Any]:
    """A fresh copy of ``tests/data/teams/<name>.json`` with the given fields replaced."""
    body = copy.deepcopy(_raw(name))
    if service_url is not None:
        body["serviceUrl"] = service_url
    if activity_id is not None:
        body["id"] = activity_id
    if text is not None:
        body["text"] = text
    if value is not None:
        body["value"] = value
    if reply_to_id is not None:
        body["replyToId"] = reply_to_id
    return body


def mention(text: str, **replace: Any) -> dict[str, Any]:
    """A channel message that @mentions the bot followed by ``text``."""
    return payload("channel_mention", text=f"<at>{BOT_NAME}</at> {text}", **replace)


def activity(body: dict[str, Any]) -> Activity:
    """The SDK's model of a wire-format activity."""
    return Activity().deserialize(body)
