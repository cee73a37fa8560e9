"""Where the soak's memory goes: the soak's mix through the Responder and the real dispatcher
in this process (embedded defaults: demo metrics, in-memory stores), with tracemalloc
comparing the Python heap after ``--warmup`` messages and after ``--messages`` more.

Mentions open a new thread each (a new conversation), as in ``slack_soak.py``; each delivery
has its own key (kept for 1 hour for a mention, 15 minutes for a command, as the Slack adapter
does). Prints the total growth and the lines that grew most.

    python bench/slack_memory.py [--warmup 3000] [--messages 6000] [--top 15]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_soak import MIX, USERS

from bot.app.config import Settings
from bot.app.services import open_services
from bot.core.model import IncomingMessage
from bot.core.responder import Delivery, Responder
from tests.fakes.outboxes import DroppingOutbox


async def measure(args: argparse.Namespace) -> None:
    async with open_services(Settings()) as services:
        responder = Responder(services.dispatcher.handle, services.dedupe, placeholder_after=60)
        users = itertools.cycle(USERS)
        sent = itertools.count(1)

        async def send(count: int) -> None:
            for _ in range(count):
                n = next(sent)
                kind, text = MIX[n % len(MIX)]
                thread = f"1733.{n:06d}" if kind == "mention" else None
                message = IncomingMessage(
                    "slack", "T0BENCH01", "C0BENCH01", next(users), "u", text, thread_id=thread
                )
                ttl = 3600 if kind == "mention" else 900
                await responder.respond(message, DroppingOutbox(), Delivery(f"bench-{n}", ttl))

        await send(args.warmup)
        gc.collect()
        tracemalloc.start(5)
        before = tracemalloc.take_snapshot()
        await send(args.messages)
        gc.collect()
        stats = tracemalloc.take_snapshot().compare_to(before, "lineno")
    total = sum(s.size_diff for s in stats) / 2**20
    print(f"Python heap growth over {args.messages} messages after {args.warmup}: {total:.1f} MiB")
    for stat in stats[: args.top]:
        print(stat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warmup", type=int, default=3000)
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--top", type=int, default=15)
    asyncio.run(measure(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
