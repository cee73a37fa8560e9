"""Universal Actions (``Action.Execute``): reading an ``adaptiveCard/action`` invoke and
writing its answer. Pure: no I/O, no SDK.

An invoke's ``value`` is ``{"action": {"type": "Action.Execute", "verb", "data"}, "trigger":
"manual" | "automatic"}``. Teams merges the card's input values into ``data`` (a menu's pick
arrives as ``data["menu0"]``). Two verbs are ours:

- :data:`~adapters.teams.render.COMMAND_VERB`: a person clicked a button or picked from a
  menu; the command runs as them. Only a *manual* trigger acts: an automatic one (a client
  refreshing on its own) never sends a command.
- :data:`~adapters.teams.render.REFRESH_VERB`: the card's ``refresh`` action, run by the
  client for the users it names (or by a person choosing "Refresh"); it only reads.

The answer is an invoke response body: a card (``application/vnd.microsoft.card.adaptive``),
a short message (``application/vnd.microsoft.activity.message``) or an error
(``application/vnd.microsoft.error``), each with its ``statusCode``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.teams.inbound import COMMAND_LIMIT, LABEL_LIMIT, Click
from adapters.teams.render import CARD_CONTENT_TYPE, COMMAND_VERB, REFRESH_VERB, Element

MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"
ERROR_CONTENT_TYPE = "application/vnd.microsoft.error"
CARD_KEY_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Execute:
    """One ``Action.Execute`` invoke: its verb, whether a person triggered it, its data."""

    verb: str
    manual: bool
    data: Mapping[str, Any]


def execute_of(value: Any) -> Execute | None:
    """The ``Action.Execute`` an ``adaptiveCard/action`` invoke carries; None if malformed."""
    if not isinstance(value, Mapping):
        return None
    action = value.get("action")
    if not isinstance(action, Mapping) or action.get("type") != "Action.Execute":
        return None
    verb = action.get("verb")
    data = action.get("data")
    if not isinstance(verb, str):
        return None
    return Execute(
        verb=verb,
        manual=value.get("trigger", "manual") == "manual",
        data=data if isinstance(data, Mapping) else {},
    )


def click_of_execute(execute: Execute, card_id: str | None) -> Click | None:
    """The command a person sent with a button or a menu, or None when the data holds none.

    A menu's pick is the index of one of the options listed in the data, so a pick can only
    ever send one of the commands the card offered.
    """
    if execute.verb != COMMAND_VERB or not execute.manual:
        return None
    data = execute.data
    menu = data.get("menu")
    if isinstance(menu, str):
        return _menu_pick(data, menu, card_id)
    command, label = data.get("command"), data.get("label")
    return _click(command, label, card_id)


def refresh_card_id(execute: Execute) -> str | None:
    """The card a refresh is for (its activity id, as the bot wrote it in the refresh data)."""
    if execute.verb != REFRESH_VERB:
        return None
    card = execute.data.get("card")
    if not isinstance(card, str) or not card or len(card) > CARD_KEY_LIMIT:
        return None
    return card


def card_response(card: Element) -> dict[str, Any]:
    """An invoke answer showing ``card`` to the person (client) that sent the invoke."""
    return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card}


def message_response(text: str) -> dict[str, Any]:
    """An invoke answer that leaves the card as it is and shows ``text`` briefly."""
    return {"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": text}


def error_response(message: str, *, status: int = 400) -> dict[str, Any]:
    code = "BadRequest" if status == 400 else "InternalServerError"
    return {
        "statusCode": status,
        "type": ERROR_CONTENT_TYPE,
        "value": {"code": code, "message": message},
    }


def _menu_pick(data: Mapping[str, Any], menu: str, card_id: str | None) -> Click | None:
    options = data.get("options")
    picked = data.get(menu)
    if not isinstance(options, list) or not isinstance(picked, str) or not picked.isdigit():
        return None
    index = int(picked)
    if index >= len(options):
        return None
    option = options[index]
    if not isinstance(option, list) or len(option) != 2:
        return None
    label, command = option
    return _click(command, label, card_id)


def _click(command: Any, label: Any, card_id: str | None) -> Click | None:
    if not isinstance(command, str) or not command.strip() or len(command) > COMMAND_LIMIT:
        return None
    if not isinstance(label, str) or not label.strip():
        label = command
    return Click(command=command.strip(), label=label.strip()[:LABEL_LIMIT], card_id=card_id)
