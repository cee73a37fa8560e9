"""One bot replica in a process of its own, so a test can kill it (``SIGKILL``) the way a
crashed pod dies: no lease release, no clean gateway close.

``python -m tests.fakes.discord_replica API_BASE GATEWAY_URL REDIS_URL NAMESPACE``
prints ``ready`` once its server is up and then runs until killed.
"""

from __future__ import annotations

import asyncio
import sys

from tests.fakes.discord_bot import ScriptedCore, fast_options_for, running_bot, scripted_services


async def serve(api_base: str, gateway_url: str, redis_url: str, namespace: str) -> None:
    from storage.dedupe import RedisDedupeStore
    from storage.redis_client import connect

    redis = connect(redis_url)
    services = scripted_services(ScriptedCore(), redis=redis, dedupe=RedisDedupeStore(redis))
    options = fast_options_for(api_base, gateway_url, lease_namespace=namespace)
    async with running_bot(services, options):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(*sys.argv[1:5]))
