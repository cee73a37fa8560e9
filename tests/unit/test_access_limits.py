"""Per-person limits on expensive queries (``policy.limits``): anomaly scans, forecasts and
PromQL over a long range share one sliding-window allowance per ``platform:user``; the
next one is refused with how many were run and how long to wait. Times are explicit."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.errors import ConfigError
from bot.core.model import IncomingMessage, Reply
from bot.core.registry import HandlerSpec, Request
from bot.features.access.limits import ExpensiveQueries
from bot.features.remediation.policy import Limits, load_policy
from bot.features.remediation.refusals import Reason, Refusal
from intents.model import Intent, IntentName, SlotValue
from storage.ratelimit import InMemoryRateLimiter, RedisRateLimiter
from tests.harness.require import free_port

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


async def answered(_: Request) -> Reply:
    return Reply(text="answered")


def request(intent: str, user: str = "U1", **slots: SlotValue) -> Request:
    message = IncomingMessage("slack", "T1", "C1", user, user, "...", tenant_id="T1")
    return Request(message, Intent(intent, 0.9, slots), "cid")


def guarded(queries: ExpensiveQueries, intent: str) -> HandlerSpec:
    return queries.guard(HandlerSpec(IntentName(intent), "t", "", (), answered))


def limits(**raw: Any) -> Limits:
    return load_policy({"limits": raw}).limits


# ---------------------------------------------------------------------- the window


async def test_the_window_slides_and_says_when_a_use_frees_up() -> None:
    limiter = InMemoryRateLimiter()
    for second in (0, 10, 20):
        assert (await limiter.take("k", 3, 60, T0 + second)).allowed
    full = await limiter.take("k", 3, 60, T0 + 30)
    assert (full.allowed, full.used, full.retry_after) == (False, 3, 30.0)
    assert (await limiter.take("other", 3, 60, T0 + 30)).allowed
    assert not (await limiter.take("k", 3, 60, T0 + 59.9)).allowed
    freed = await limiter.take("k", 3, 60, T0 + 60)
    assert (freed.allowed, freed.used) == (True, 3)


async def test_without_redis_the_limiter_counts_in_this_process() -> None:
    """Redis unreachable: the limit still holds, counted locally (a brake, not a lock)."""
    from redis.asyncio import Redis

    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    limiter = RedisRateLimiter(client)
    try:
        taken = [await limiter.take("k", 2, 60, T0 + i) for i in range(3)]
    finally:
        await client.aclose()
    assert [t.allowed for t in taken] == [True, True, False]
    assert taken[-1].retry_after == 58.0


# ---------------------------------------------------------------------- what is expensive


@pytest.mark.parametrize(
    ("intent", "slots", "expensive"),
    [
        ("anomaly_query", {}, True),
        ("forecast", {"metric": "disk"}, True),
        ("promql", {"expr": "up"}, False),
        ("promql", {"expr": "up", "range": 2 * 3600}, False),
        ("promql", {"expr": "up", "range": 6 * 3600}, False),
        ("promql", {"expr": "up", "range": 6 * 3600 + 1}, True),
        ("promql", {"expr": "up", "start": int(T0) - 7 * 86400}, True),
        ("promql", {"expr": "up", "start": int(T0) - 7200, "end": int(T0)}, False),
        ("metric_query", {"metric": "cpu", "range": 30 * 86400}, False),
        ("health", {"target": "web-1"}, False),
    ],
)
def test_what_counts_as_expensive(
    intent: str, slots: dict[str, SlotValue], expensive: bool
) -> None:
    queries = ExpensiveQueries(InMemoryRateLimiter(), Limits(), data_clock=Clock())
    assert queries.is_expensive(Intent(intent, 0.9, slots)) is expensive


# ---------------------------------------------------------------------- the guard


async def test_the_sixth_expensive_query_in_a_minute_is_refused_with_the_wait() -> None:
    clock = Clock()
    queries = ExpensiveQueries(InMemoryRateLimiter(), Limits(), clock=clock, data_clock=clock)
    anomaly, forecast = guarded(queries, "anomaly_query"), guarded(queries, "forecast")
    for second in range(5):
        clock.now = T0 + second * 5
        spec = anomaly if second % 2 else forecast
        assert (await spec.handler(request(spec.intent))).text == "answered"
    clock.now = T0 + 20
    with pytest.raises(Refusal) as caught:
        await anomaly.handler(request("anomaly_query"))
    assert caught.value.reason is Reason.RATE_LIMITED
    assert caught.value.message == (
        "You've run 5 expensive queries in the last minute; try again in 40s."
    )
    assert caught.value.hint is not None
    assert "PromQL over more than 6h" in caught.value.hint
    assert (await anomaly.handler(request("anomaly_query", user="U2"))).text == "answered"
    clock.now = T0 + 60
    assert (await anomaly.handler(request("anomaly_query"))).text == "answered"


async def test_cheap_queries_are_never_counted_nor_limited() -> None:
    clock = Clock()
    queries = ExpensiveQueries(
        InMemoryRateLimiter(), limits(expensive={"count": 1, "per_seconds": 3600}),
        clock=clock, data_clock=clock,
    )  # fmt: skip
    promql, metric = guarded(queries, "promql"), guarded(queries, "metric_query")
    for _ in range(20):
        assert (await promql.handler(request("promql", expr="up", range=3600))).text
        assert (await metric.handler(request("metric_query", range=90 * 86400))).text
    assert (await promql.handler(request("promql", expr="up", range=86400))).text
    with pytest.raises(Refusal) as caught:
        await promql.handler(request("promql", expr="up", range=86400))
    assert caught.value.message == "You've run 1 expensive query in the last hour; try again in 1h."


def test_limits_have_defaults_and_can_be_changed_or_turned_off() -> None:
    default = load_policy({}).limits
    assert default.expensive is not None
    assert (default.expensive.count, default.expensive.per_seconds) == (5, 60)
    assert default.promql_long_range_seconds == 6 * 3600
    assert limits(expensive=None).expensive is None
    assert limits(promql_long_range_seconds=86400).promql_long_range_seconds == 86400
    off = ExpensiveQueries(InMemoryRateLimiter(), limits(expensive=None))
    spec = HandlerSpec(IntentName.ANOMALY_QUERY, "t", "", (), answered)
    assert off.guard(spec) is spec
    with pytest.raises(ConfigError) as caught:
        limits(expensive={"count": 0, "per_seconds": 60})
    assert str(caught.value).startswith("policy.limits.expensive.count")
