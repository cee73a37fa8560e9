"""Long answers as a file, in a personal (1:1) chat: Teams' file consent flow.

Teams lets a bot send a file only in personal scope (channels and group chats would need
Microsoft Graph and a SharePoint site), and only with the user's consent, and only when the
app manifest says ``"supportsFiles": true``:

1. the bot posts a ``FileConsentCard`` (name, size, description; ``acceptContext`` and
   ``declineContext`` hold a token naming the pending file);
2. the user accepts or declines; Teams sends a ``fileConsent/invoke`` with ``action``,
   ``context`` and, on accept, ``uploadInfo`` (``uploadUrl``: a OneDrive upload session);
3. on accept the bot PUTs the bytes to ``uploadUrl`` (one request, ``Content-Range``) and
   posts a ``FileInfoCard`` pointing at ``contentUrl``; on decline it says so.

The pending file is kept in a document store between 1 and 3 (Redis when configured, so the
answer can come to any replica) and deleted when the user answers. Only the person it was
offered to can accept it (by AAD object id). The file is the answer's full plain text.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from botbuilder.schema import Activity, ActivityTypes, Attachment

from adapters.teams.references import ReferenceStore
from bot.core.errors import DependencyError
from bot.core.model import Reply

log = logging.getLogger(__name__)

CONSENT_CONTENT_TYPE = "application/vnd.microsoft.teams.card.file.consent"
INFO_CONTENT_TYPE = "application/vnd.microsoft.teams.card.file.info"
#: Bigger answers are cut to this many bytes (a single-request upload stays small).
MAX_FILE_BYTES = 4 * 1024 * 1024
UPLOAD_TIMEOUT_SECONDS = 30.0
OFFER_TEXT = "The full answer is too long for a message. Accept the file to get all of it."
DECLINED = "OK, no file. Ask a narrower question to see the rest here."
GONE = "That file is no longer available; ask again to get a new one."
FAILED = "I could not upload the file. Ask a narrower question to see it here."
NOT_YOURS = "That file was offered to someone else."

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class PendingFile:
    """A file offered and not yet answered."""

    token: str
    name: str
    data: bytes


class FileOffers:
    """Offers long answers as files and uploads them once the user accepts."""

    def __init__(self, store: ReferenceStore, *, allow_http: bool = False) -> None:
        self._store = store
        self._schemes = ("https", "http") if allow_http else ("https",)

    async def offer(self, reply: Reply, user_id: str) -> Activity | None:
        """The consent card activity offering ``reply`` as a file to ``user_id``; None when
        the pending file cannot be kept (logged)."""
        pending = pending_file(reply)
        document = {"name": pending.name, "text": pending.data.decode("utf-8"), "user": user_id}
        try:
            await self._store.save(_key(pending.token), document)
        except DependencyError as exc:
            log.warning("teams: could not keep a file to offer: %s", exc.message)
            return None
        return consent_activity(pending)

    async def take(self, context: Any, user_id: str) -> PendingFile | str:
        """The pending file ``context`` names, removed from the store, or what to tell the
        user instead (gone, or offered to someone else)."""
        token = context.get("file") if isinstance(context, Mapping) else None
        if not isinstance(token, str) or not token or len(token) > 64:
            return GONE
        try:
            document = await self._store.load(_key(token))
        except DependencyError as exc:
            log.warning("teams: could not read a pending file: %s", exc.message)
            return GONE
        if document is None:
            return GONE
        if document.get("user") != user_id:
            return NOT_YOURS
        await self._forget(token)
        name, text = document.get("name"), document.get("text")
        if not isinstance(name, str) or not isinstance(text, str):
            return GONE
        return PendingFile(token, name, text.encode("utf-8"))

    async def upload(self, pending: PendingFile, upload_url: str) -> bool:
        """PUT the file to Teams' upload session; False (logged) when that fails."""
        parts = urlsplit(upload_url)
        if parts.scheme not in self._schemes or not parts.hostname:
            log.warning("teams: refused to upload to a %r URL", parts.scheme)
            return False
        size = len(pending.data)
        headers = {
            "Content-Length": str(size),
            "Content-Range": f"bytes 0-{max(size - 1, 0)}/{size}",
        }
        timeout = aiohttp.ClientTimeout(total=UPLOAD_TIMEOUT_SECONDS)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.put(upload_url, data=pending.data, headers=headers) as response,
            ):
                if response.status >= 300:
                    log.warning("teams: file upload answered %s", response.status)
                    return False
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("teams: file upload failed: %s", type(exc).__name__)
            return False
        return True

    async def _forget(self, token: str) -> None:
        try:
            await self._store.delete(_key(token))
        except DependencyError as exc:
            log.warning("teams: could not drop a pending file: %s", exc.message)


def pending_file(reply: Reply) -> PendingFile:
    """``reply``'s full plain text as a file named after its title."""
    data = reply.plain_text().encode("utf-8")[:MAX_FILE_BYTES]
    data = data.decode("utf-8", errors="ignore").encode("utf-8")
    stem = _UNSAFE.sub("-", reply.title or "answer").strip("-.")[:60] or "answer"
    return PendingFile(secrets.token_urlsafe(16), f"{stem}.txt", data)


def consent_activity(pending: PendingFile) -> Activity:
    context = {"file": pending.token}
    card = {
        "description": OFFER_TEXT,
        "sizeInBytes": len(pending.data),
        "acceptContext": context,
        "declineContext": context,
    }
    return Activity(
        type=ActivityTypes.message,
        text=OFFER_TEXT,
        text_format="plain",
        attachments=[
            Attachment(content_type=CONSENT_CONTENT_TYPE, name=pending.name, content=card)
        ],
    )


def file_info_activity(upload_info: Any) -> Activity:
    """The message showing an uploaded file (``upload_info`` from the accept invoke)."""
    return Activity(
        type=ActivityTypes.message,
        attachments=[
            Attachment(
                content_type=INFO_CONTENT_TYPE,
                name=upload_info.name,
                content_url=upload_info.content_url,
                content={"uniqueId": upload_info.unique_id, "fileType": upload_info.file_type},
            )
        ],
    )


def _key(token: str) -> str:
    return f"file:{token}"
