"""RedisContextStore without a server: bad URLs, and a Redis that is not there at all."""

from __future__ import annotations

import time

import pytest

from bot.core.errors import ConfigError, DependencyError
from intents.model import Turn
from storage.redis_context import RedisContextStore
from tests.harness.require import free_port
from tests.unit.test_context_contract import KEY

#: What one call may cost while Redis is dead (0.5 s timeouts plus slack).
FAIL_FAST_SECONDS = 1.0


def turn() -> Turn:
    return Turn("status", {}, time.time())


async def test_dead_redis_is_a_dependency_error_without_secrets() -> None:
    """A refused connection becomes DependencyError("redis") quickly, with no URL or password."""
    url = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    store = RedisContextStore.from_url(url)
    try:
        for call in (store.recent(KEY), store.append(KEY, turn()), store.clear(KEY), store.ping()):
            started = time.perf_counter()
            with pytest.raises(DependencyError) as caught:
                await call
            assert time.perf_counter() - started < FAIL_FAST_SECONDS
            assert caught.value.dependency == "redis"
            assert caught.value.message == "Redis is unreachable"
            assert "hunter2" not in str(caught.value)
            assert "127.0.0.1" not in str(caught.value)
    finally:
        await store.aclose()


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379", "redis://:pw@host:notaport/0"])
def test_bad_url_is_a_config_error_without_the_url(url: str) -> None:
    """A URL redis cannot use is a ConfigError naming REDIS_URL and not echoing the URL."""
    with pytest.raises(ConfigError, match="REDIS_URL") as caught:
        RedisContextStore.from_url(url)
    assert url not in str(caught.value)
