"""Latency of one chat turn on the embedded defaults (demo metrics, in-memory context).

Runs each question through the real composition root and dispatcher, the way the console
does, and reports per-question median and p95 wall time (chart rendering included).

    .venv/bin/python bench/chat_bench.py [--rounds N] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app.config import load_settings
from bot.app.services import open_services
from bot.core.model import IncomingMessage

QUESTIONS = (
    "cpu of web-1 over the last 2h",
    "and memory?",
    "what's down?",
    "promql up",
    "what alerts are firing",
    "anything unusual with checkout-api?",
    "help",
)
RESULTS = Path(__file__).with_name("RESULTS_CHAT.md")


async def measure(rounds: int) -> tuple[dict[str, list[float]], float]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
    env.pop("SMARTCLOUDOPS_CONFIG", None)
    started = time.perf_counter()
    async with open_services(load_settings(env)) as services:
        startup = time.perf_counter() - started
        timings: dict[str, list[float]] = {q: [] for q in QUESTIONS}
        for round_ in range(rounds + 1):
            for question in QUESTIONS:
                message = IncomingMessage(
                    "bench", "t", "c", f"u{round_}", "bench", question, is_direct=True
                )
                t0 = time.perf_counter()
                reply = await services.dispatcher.handle(message)
                elapsed = time.perf_counter() - t0
                if round_ > 0:  # round 0 warms imports (matplotlib) and caches
                    timings[question].append(elapsed)
                assert reply.text, question
    return timings, startup


def report(timings: dict[str, list[float]], startup: float, rounds: int) -> str:
    lines = [
        "Command: `.venv/bin/python bench/chat_bench.py --write`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        " (a shared VM; treat as indicative).",
        "",
        f"Start-up (build every service, train the parser): {startup * 1000:.0f} ms. "
        f"{rounds} rounds after one warm-up round; each round is a fresh conversation.",
        "",
        "| question | median ms | p95 ms |",
        "|---|---:|---:|",
    ]
    for question, values in timings.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        lines.append(
            f"| `{question}` | {statistics.median(values) * 1000:.1f} | {p95 * 1000:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.name}")
    args = parser.parse_args()
    timings, startup = asyncio.run(measure(args.rounds))
    text = report(timings, startup, args.rounds)
    print(text)
    if args.write:
        RESULTS.write_text("# One chat turn on the embedded defaults\n\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
