"""Who holds a gateway shard: a :class:`bot.core.coordination.Lease` named after the shard.

Every replica connected with the same shard receives every event, so exactly one replica may
hold each shard's gateway session. Across replicas the lease lives in Redis
(:class:`storage.lease.RedisLease`, built by the composition root; in memory for one process),
taken, renewed and given up by the core's one lease keeper (:mod:`bot.core.coordination`),
the same one the scheduler uses. A holder that dies simply stops renewing: the key lapses after
the TTL and the next standby to poll wins.

:class:`Fence` is the holder's own view of its current tenure: it answers only while the last
successful renewal is recent enough, so a replica that stalled past its TTL stays silent even
before it notices another replica has taken over.
"""

from __future__ import annotations

from bot.core.coordination import Grant, Lease, Tenure

NAMESPACE = "sco:discord"

__all__ = ["NAMESPACE", "Fence", "Grant", "Lease", "shard_name"]


def shard_name(shard_id: int, shard_count: int) -> str:
    return f"{shard_id}-of-{shard_count}"


class Fence:
    """Whether this replica may answer right now: it holds a tenure of the shard's lease whose
    last confirmation is younger than the TTL (minus the keeper's safety margin)."""

    def __init__(self) -> None:
        self._tenure: Tenure | None = None

    def hold(self, tenure: Tenure) -> None:
        self._tenure = tenure

    def drop(self) -> None:
        if self._tenure is not None:
            self._tenure.drop()
        self._tenure = None

    def holds(self) -> bool:
        return self._tenure is not None and self._tenure.holds_locally()

    @property
    def token(self) -> int | None:
        return None if self._tenure is None else self._tenure.grant.fencing_token
