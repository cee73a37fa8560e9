"""User-specific views of a card: what each person who used a card sees on refresh.

With Universal Actions a card message has a *base* card, which everyone sees, and may carry
a ``refresh`` action naming up to :data:`MAX_VIEWERS` users (by their Teams user id, the
``29:...`` MRI); each of those users' clients asks the bot (an ``adaptiveCard/action`` invoke,
verb ``refresh``) for the card to show *them*. Here that is the base card minus the buttons
that person already used, headed by what they chose: a viewer who approved sees no Approve
button, a requester whose own approval was refused sees the refusal and no Approve button,
while everyone else keeps the full card.

Nothing here knows what a command means; the rule is the same for every card: *a button you
used is not offered to you again on that card*, and a private answer (a refusal) stays yours.

State, one JSON document per card that someone has used (a :class:`ReferenceStore`-shaped
document store, Redis when configured so every replica sees it), keyed by conversation and
card id::

    {"base": card | null, "views": {aad_id: {"mri", "used": [...], "note", "own": card|null}}}

Views are keyed by the immutable AAD object id; the MRI only fills ``userIds``. The document
is deleted once the card has nothing left to use (the request was decided, the alert
acknowledged), when every viewer sees the same card again. Two clicks at the same moment on
two replicas may both read the document before either writes it; the later write wins and
the other viewer is shown the base card (never a wrong one).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.teams.references import ReferenceStore
from adapters.teams.render import (
    COMMAND_VERB,
    REFRESH_VERB,
    Element,
    has_controls,
)
from bot.core.errors import DependencyError

log = logging.getLogger(__name__)

#: Teams refreshes a card automatically for at most 60 listed users.
MAX_VIEWERS = 60
MAX_USED = 20
NOTE_LIMIT = 300


@dataclass(frozen=True, slots=True)
class Viewer:
    """A person looking at a card: immutable AAD object id (``user_id``) and Teams MRI."""

    user_id: str
    mri: str


@dataclass(frozen=True, slots=True)
class Shown:
    """After a click: the card the clicker sees, and the base card for everyone (None when
    the base card stays as it is)."""

    mine: Element
    everyone: Element | None


class CardViews:
    """Per-viewer state of the cards people have used, and the cards each of them sees."""

    def __init__(self, store: ReferenceStore) -> None:
        self._store = store

    async def clicked(
        self,
        key: str,
        card_id: str,
        viewer: Viewer,
        *,
        command: str,
        answer: Element,
        note: str,
        public: bool,
    ) -> Shown:
        """Record that ``viewer`` used ``command`` on the card, answered with ``answer``.

        A public answer becomes the base card for everyone; a private one (a refusal) is
        shown to ``viewer`` alone and the base card stays as it was.
        """
        document = await self._load(key)
        views: dict[str, Any] = document.setdefault("views", {})
        mine = _view(views, viewer)
        if command not in mine["used"]:
            mine["used"] = [*mine["used"], command][-MAX_USED:]
        mine["note"] = note[:NOTE_LIMIT]
        if public:
            document["base"] = answer
            for view in views.values():
                view["own"] = None
        else:
            mine["own"] = answer
        _keep_newest(views)
        base = document.get("base")
        if public and not has_controls(answer):
            await self._delete(key)
            return Shown(mine=answer, everyone=answer)
        await self._save(key, document)
        refreshing = _with_refresh(card_id, views)
        everyone = refreshing(base) if isinstance(base, dict) else None
        return Shown(mine=refreshing(_personal(document, viewer.user_id)), everyone=everyone)

    async def refreshed(self, key: str, card_id: str, viewer: Viewer) -> Element | None:
        """The card ``viewer`` should see now; None when nothing is known about the card."""
        document = await self._load(key)
        views = document.get("views")
        if not isinstance(views, dict):
            return None
        if not isinstance(document.get("base"), dict) and viewer.user_id not in views:
            return None
        return _with_refresh(card_id, views)(_personal(document, viewer.user_id))

    async def _load(self, key: str) -> dict[str, Any]:
        try:
            document = await self._store.load(key)
        except DependencyError as exc:
            log.warning("teams: card views unavailable, showing the shared card: %s", exc.message)
            return {}
        return document if isinstance(document, dict) else {}

    async def _save(self, key: str, document: Mapping[str, Any]) -> None:
        try:
            await self._store.save(key, document)
        except DependencyError as exc:
            log.warning("teams: could not keep a card's views: %s", exc.message)

    async def _delete(self, key: str) -> None:
        try:
            await self._store.delete(key)
        except DependencyError as exc:
            log.warning("teams: could not drop a card's views: %s", exc.message)


def views_key(channel_id: str, card_id: str) -> str:
    """The document key of card ``card_id`` in conversation ``channel_id``."""
    return f"card:{channel_id}:{card_id}"


def _view(views: dict[str, Any], viewer: Viewer) -> dict[str, Any]:
    view = views.pop(viewer.user_id, None)
    if not isinstance(view, dict):
        view = {"used": [], "note": "", "own": None}
    view["mri"] = viewer.mri
    views[viewer.user_id] = view  # newest last
    return view


def _keep_newest(views: dict[str, Any]) -> None:
    while len(views) > MAX_VIEWERS:
        views.pop(next(iter(views)))


def _personal(document: Mapping[str, Any], user_id: str) -> Element:
    """``user_id``'s card: their own private answer, else the base card, minus what they
    used and headed by their note."""
    views = document.get("views") or {}
    view = views.get(user_id) if isinstance(views, Mapping) else None
    if not isinstance(view, Mapping):
        return copy.deepcopy(document["base"])
    source = view.get("own") or document.get("base")
    card: Element = copy.deepcopy(source) if isinstance(source, dict) else {}
    used = {u for u in view.get("used", ()) if isinstance(u, str)}
    _drop_used(card, used)
    note = view.get("note")
    if isinstance(note, str) and note and not view.get("own"):
        inline = {"type": "TextRun", "text": note, "isSubtle": True, "italic": True}
        card["body"] = [{"type": "RichTextBlock", "inlines": [inline]}, *card.get("body", [])]
    return card


def _drop_used(node: Any, used: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if key == "actions" and isinstance(value, list):
                node[key] = [a for a in value if not _is_used(a, used)]
            _drop_used(node[key], used)
        if node.get("type") == "ActionSet" and not node.get("actions"):
            node["isVisible"] = False
    elif isinstance(node, list):
        for item in node:
            _drop_used(item, used)


def _is_used(action: Any, used: set[str]) -> bool:
    if not isinstance(action, Mapping) or action.get("verb") != COMMAND_VERB:
        return False
    data = action.get("data")
    return isinstance(data, Mapping) and data.get("command") in used


def _with_refresh(card_id: str, views: Mapping[str, Any]) -> Callable[[Element], Element]:
    """A function adding the card's ``refresh`` (for every viewer with a view) to a card."""
    mris = [v["mri"] for v in views.values() if isinstance(v, Mapping) and v.get("mri")]

    def add(card: Element) -> Element:
        card = copy.deepcopy(card)
        card.pop("refresh", None)
        if has_controls(card) and mris:
            card["refresh"] = {
                "action": {
                    "type": "Action.Execute",
                    "title": "Refresh",
                    "verb": REFRESH_VERB,
                    "data": {"card": card_id},
                },
                "userIds": mris[-MAX_VIEWERS:],
            }
        return card

    return add
