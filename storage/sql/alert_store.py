"""The alert-posting store on SQL (PostgreSQL or SQLite): subscriptions, alert groups and the
posts made for them, shared by every replica. Implements the three stores of
:mod:`bot.features.alerts.ports`, and :class:`~bot.features.alerts.ports.GroupHistory` (read-only)
for the
daily digest.

Once per channel: :meth:`SqlAlertStore.claim_post` inserts the (key, channel) row; the
unique constraint lets exactly one replica in, the others read the row (and later the
message id recorded in it). A claim that was never recorded (its replica died mid-post) is
taken over after ``stale_before`` with a compare-and-set on its claim time. Driver errors
become :class:`~bot.core.errors.DependencyError`, and so does a call the database does not answer
within ``timeout`` seconds (:mod:`storage.sql.bounded`): nothing is posted on a claim that
could not be made in time.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.errors import NotFoundError
from bot.core.ports import ChannelRef, PostedRef
from bot.features.alerts.group import key_hash as hash_of
from bot.features.alerts.model import (
    Acknowledgement,
    GroupRecord,
    PostClaim,
    StoredPost,
    Subscription,
)
from storage.sql.alerts import AlertGroupRow, AlertPostRow, AlertSubscriptionRow
from storage.sql.bounded import SqlStore, bounded
from storage.sql.engine import migrated_engine
from storage.sql.timeouts import DatabaseTimeouts

_CHANNEL = ("platform", "team_id", "channel_id", "thread_id")
_FILTER = (*_CHANNEL, "severity", "target")


class SqlAlertStore(SqlStore):
    """Subscriptions, posts and groups on one async engine."""

    def __init__(
        self, engine: AsyncEngine, *, timeout: float = DatabaseTimeouts().timeout_seconds
    ) -> None:
        super().__init__(
            engine,
            timeout=timeout,
            what="alert database",
            consequence="nothing was posted or changed",
        )

    # ------------------------------------------------------------------ subscriptions

    @bounded
    async def add_subscription(self, subscription: Subscription, at: datetime) -> bool:
        values = {
            **_filter(subscription),
            "created_by": subscription.created_by,
            "created_by_name": subscription.created_by_name,
            "created_at": at,
        }
        statement = (
            self._dialect.insert(AlertSubscriptionRow)
            .values(values)
            .on_conflict_do_nothing(index_elements=list(_FILTER))
            .returning(AlertSubscriptionRow.id)
        )
        async with self._begin() as conn:
            return (await conn.execute(statement)).first() is not None

    @bounded
    async def remove_subscription(self, subscription: Subscription) -> bool:
        statement = delete(AlertSubscriptionRow).where(
            *_equal(AlertSubscriptionRow, _filter(subscription))
        )
        async with self._begin() as conn:
            return (await conn.execute(statement)).rowcount > 0

    @bounded
    async def clear_subscriptions(self, channel: ChannelRef) -> int:
        statement = delete(AlertSubscriptionRow).where(
            *_equal(AlertSubscriptionRow, _channel(channel))
        )
        async with self._begin() as conn:
            return int((await conn.execute(statement)).rowcount)

    @bounded
    async def subscriptions(self, channel: ChannelRef | None = None) -> list[Subscription]:
        statement = select(AlertSubscriptionRow.__table__).order_by(AlertSubscriptionRow.id)
        if channel is not None:
            statement = statement.where(*_equal(AlertSubscriptionRow, _channel(channel)))
        async with self._begin() as conn:
            rows = (await conn.execute(statement)).mappings().all()
        return [_subscription(row) for row in rows]

    # ------------------------------------------------------------------ posts

    @bounded
    async def claim_post(
        self, key: str, channel: ChannelRef, now: datetime, stale_before: datetime
    ) -> PostClaim:
        where = _post(key, channel)
        statement = (
            self._dialect.insert(AlertPostRow)
            .values(**where, post_key=key, digest="", claimed_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["key_hash", *_CHANNEL])
            .returning(AlertPostRow.id)
        )
        async with self._begin() as conn:
            if (await conn.execute(statement)).first() is not None:
                return PostClaim(won=True)
            row = await _post_row(conn, where)
            if row is None:
                return PostClaim(won=False)
            if row["message_id"] is None and row["claimed_at"] < stale_before:
                taken = await conn.execute(
                    update(AlertPostRow)
                    .where(AlertPostRow.id == row["id"], AlertPostRow.message_id.is_(None))
                    .where(AlertPostRow.claimed_at == row["claimed_at"])
                    .values(claimed_at=now, updated_at=now)
                )
                if taken.rowcount == 1:
                    return PostClaim(won=True)
        return PostClaim(won=False, posted=_posted(row), digest=str(row["digest"]))

    @bounded
    async def record_post(
        self, key: str, channel: ChannelRef, posted: PostedRef, digest: str, now: datetime
    ) -> None:
        await self._update_post(
            key,
            channel,
            message_id=posted.message_id,
            posted_channel_id=posted.channel_id,
            posted_thread_id=posted.thread_id,
            digest=digest,
            updated_at=now,
        )

    @bounded
    async def release_post(self, key: str, channel: ChannelRef) -> None:
        statement = delete(AlertPostRow).where(
            *_equal(AlertPostRow, _post(key, channel)), AlertPostRow.message_id.is_(None)
        )
        async with self._begin() as conn:
            await conn.execute(statement)

    @bounded
    async def set_digest(self, key: str, channel: ChannelRef, digest: str, now: datetime) -> None:
        await self._update_post(key, channel, digest=digest, updated_at=now)

    @bounded
    async def posts(self, key: str) -> list[StoredPost]:
        statement = (
            select(AlertPostRow.__table__)
            .where(AlertPostRow.key_hash == hash_of(key))
            .where(AlertPostRow.message_id.is_not(None))
            .order_by(AlertPostRow.id)
        )
        async with self._begin() as conn:
            rows = (await conn.execute(statement)).mappings().all()
        return [
            StoredPost(_channel_of(row), posted, str(row["digest"]))
            for row in rows
            if (posted := _posted(row)) is not None
        ]

    async def _update_post(self, key: str, channel: ChannelRef, **values: Any) -> None:
        statement = (
            update(AlertPostRow).where(*_equal(AlertPostRow, _post(key, channel))).values(**values)
        )
        async with self._begin() as conn:
            await conn.execute(statement)

    # ------------------------------------------------------------------ groups

    @bounded
    async def record_group(
        self, key_hash: str, group_key: str, status: str, snapshot: str, now: datetime
    ) -> GroupRecord:
        values = {"status": status, "snapshot": snapshot, "updated_at": now}
        insert = (
            self._dialect.insert(AlertGroupRow)
            .values(key_hash=key_hash, group_key=group_key, epoch=0, **values)
            .on_conflict_do_nothing(index_elements=["key_hash"])
            .returning(AlertGroupRow.key_hash)
        )
        async with self._begin() as conn:
            if (await conn.execute(insert)).first() is None:
                row = await _group_row(conn, key_hash, lock=True)
                if row is not None and row["status"] == "resolved" and status == "firing":
                    values |= {"epoch": int(row["epoch"]) + 1, "acked_by": None,
                               "acked_by_name": None, "acked_at": None}  # fmt: skip
                await conn.execute(
                    update(AlertGroupRow).where(AlertGroupRow.key_hash == key_hash).values(values)
                )
            stored = await _group_row(conn, key_hash)
        return _group(stored)

    @bounded
    async def find_groups(self, prefix: str, limit: int = 5) -> list[GroupRecord]:
        wanted = "".join(c for c in prefix.lower() if c in "0123456789abcdef")
        statement = (
            select(AlertGroupRow.__table__)
            .where(AlertGroupRow.key_hash.startswith(wanted, autoescape=True))
            .order_by(AlertGroupRow.updated_at.desc())
            .limit(limit)
        )
        async with self._begin() as conn:
            rows = (await conn.execute(statement)).mappings().all()
        return [_group(row) for row in rows]

    @bounded
    async def firing_groups(self, limit: int = 200) -> list[GroupRecord]:
        statement = (
            select(AlertGroupRow.__table__)
            .where(AlertGroupRow.status == "firing")
            .order_by(AlertGroupRow.updated_at.desc(), AlertGroupRow.key_hash)
            .limit(limit)
        )
        async with self._begin() as conn:
            rows = (await conn.execute(statement)).mappings().all()
        return [_group(row) for row in rows]

    @bounded
    async def groups_since(self, since: datetime, limit: int = 1000) -> list[GroupRecord]:
        """:meth:`bot.features.alerts.ports.GroupHistory.groups_since`: a read of the groups table,
        no history of its own (each row keeps the group's latest notification)."""
        statement = (
            select(AlertGroupRow.__table__)
            .where(or_(AlertGroupRow.updated_at >= since, AlertGroupRow.status == "firing"))
            .order_by(AlertGroupRow.updated_at.desc(), AlertGroupRow.key_hash)
            .limit(limit)
        )
        async with self._begin() as conn:
            rows = (await conn.execute(statement)).mappings().all()
        return [_group(row) for row in rows]

    @bounded
    async def acknowledge(self, key_hash: str, ack: Acknowledgement) -> GroupRecord:
        statement = (
            update(AlertGroupRow)
            .where(AlertGroupRow.key_hash == key_hash, AlertGroupRow.acked_by.is_(None))
            .values(acked_by=ack.user_id, acked_by_name=ack.user_name, acked_at=ack.at)
        )
        async with self._begin() as conn:
            await conn.execute(statement)
            stored = await _group_row(conn, key_hash)
        return _group(stored)


# ---------------------------------------------------------------------- opening


@contextlib.asynccontextmanager
async def open_alert_store_at(
    url: str, timeouts: DatabaseTimeouts | None = None
) -> AsyncIterator[SqlAlertStore]:
    """Migrate the database at ``url`` and yield a store on it, bounded by ``timeouts``."""
    timeouts = timeouts or DatabaseTimeouts()
    async with migrated_engine(url, timeouts) as engine:
        store = SqlAlertStore(engine, timeout=timeouts.timeout_seconds)
        try:
            yield store
        finally:
            await store.bound.settle(within=timeouts.timeout_seconds)


# ---------------------------------------------------------------------- rows


def _channel(channel: ChannelRef) -> dict[str, str]:
    return {
        "platform": channel.platform,
        "team_id": channel.team_id,
        "channel_id": channel.channel_id,
        "thread_id": channel.thread_id or "",
    }


def _filter(subscription: Subscription) -> dict[str, str]:
    return {
        **_channel(subscription.channel),
        "severity": subscription.severity or "",
        "target": subscription.target or "",
    }


def _post(key: str, channel: ChannelRef) -> dict[str, str]:
    return {"key_hash": hash_of(key), **_channel(channel)}


def _equal(table: Any, values: dict[str, str]) -> list[Any]:
    return [getattr(table, name) == value for name, value in values.items()]


def _channel_of(row: Any) -> ChannelRef:
    return ChannelRef(
        str(row["platform"]), str(row["team_id"]), str(row["channel_id"]), row["thread_id"] or None
    )


def _subscription(row: Any) -> Subscription:
    return Subscription(
        _channel_of(row),
        severity=row["severity"] or None,
        target=row["target"] or None,
        created_by=str(row["created_by"]),
        created_by_name=str(row["created_by_name"]),
    )


def _posted(row: Any) -> PostedRef | None:
    if row["message_id"] is None:
        return None
    return PostedRef(
        str(row["platform"]),
        str(row["posted_channel_id"] or row["channel_id"]),
        str(row["message_id"]),
        row["posted_thread_id"],
        str(row["team_id"]),
    )


async def _post_row(conn: AsyncConnection, where: dict[str, str]) -> Any:
    statement = select(AlertPostRow.__table__).where(*_equal(AlertPostRow, where))
    return (await conn.execute(statement)).mappings().first()


async def _group_row(conn: AsyncConnection, key_hash: str, *, lock: bool = False) -> Any:
    statement = select(AlertGroupRow.__table__).where(AlertGroupRow.key_hash == key_hash)
    if lock and conn.dialect.name == "postgresql":
        statement = statement.with_for_update()
    return (await conn.execute(statement)).mappings().first()


def _group(row: Any) -> GroupRecord:
    if row is None:
        raise NotFoundError("That alert group is no longer stored.")
    ack = None
    if row["acked_by"] is not None:
        ack = Acknowledgement(str(row["acked_by"]), str(row["acked_by_name"]), row["acked_at"])
    return GroupRecord(
        key_hash=str(row["key_hash"]),
        group_key=str(row["group_key"]),
        status=str(row["status"]),
        epoch=int(row["epoch"]),
        snapshot=str(row["snapshot"]),
        ack=ack,
    )
