"""Soak: mixed chat through Slack at a steady rate, watching the bot's memory and ack latency.

The bot runs as ``python -m bot.app.cli serve`` (embedded defaults: demo metrics, in-memory
stores) against the local fake Slack of ``slack_load.py``. With ``--redis`` (a
``redis-server`` of the soak's own) or ``--redis-url URL`` the server gets ``REDIS_URL``: the
production configuration of several replicas, context, dedupe, rate limits and shared answers
out of process; that Redis's ``used_memory`` and key count are reported too. With ``--trace``
the server runs under tracemalloc (``traced_serve.py``): the Python heap after warm-up and at
the end are compared and the lines that grew most printed (that run's RSS and latencies are
tracemalloc's, not the soak's).

Every ``1/rate`` seconds one message leaves, whether or not earlier ones were answered (open
loop): a signed slash command or an ``app_mention`` in a thread, taking turns through a mix of
questions (charts, follow-ups, health, alerts, anomalies, PromQL, help), from 20 users, so
conversation memory, dedupe and chart rendering all see traffic. The bot's RSS is read from
``/proc`` every ``--sample`` seconds.

Reported: RSS at the end of warm-up and at the end, growth between them (done-when: < 10 %),
ack and answer p50/p99 overall and per window (done-when: p99 ack < 1 s), failures.

    python bench/slack_soak.py [--minutes 30] [--rate 10] [--warmup-minutes 5] [--out FILE]
                               [--redis | --redis-url URL] [--trace]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))

from slack_load import (
    BENCH,
    Client,
    FakeSlack,
    RedisProcess,
    Sample,
    percentile,
    redis_info,
    rss_bytes,
    start_server,
)

MIX = (
    ("command", "what's down?"),
    ("mention", "cpu of web-1 last 2h"),
    ("command", "and memory?"),
    ("mention", "what alerts are firing"),
    ("command", "cpu of web-1 last 2h"),
    ("mention", "what's down?"),
    ("command", "anything unusual with checkout-api?"),
    ("mention", "promql up"),
    ("command", "help"),
    ("mention", "and memory?"),
)
USERS = tuple(f"U0SOAK{n:03d}" for n in range(20))


@dataclass
class Window:
    start: float
    samples: list[Sample] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    load: list[float] = field(default_factory=list)

    def line(self, minutes: float) -> str:
        acks = [s.ack for s in self.samples if s.ack is not None]
        answers = [s.answer for s in self.samples if s.answer is not None]
        failed = sum(1 for s in self.samples if s.answer is None)
        rss = self.rss[-1] / 2**20 if self.rss else float("nan")
        load = max(self.load) if self.load else float("nan")
        return (
            f"| {self.start / 60:g}-{self.start / 60 + minutes:g} | {len(self.samples)} "
            f"| {percentile(acks, 0.5) * 1000:.1f} | {percentile(acks, 0.99) * 1000:.1f} "
            f"| {percentile(answers, 0.5) * 1000:.1f} | {percentile(answers, 0.99) * 1000:.1f} "
            f"| {failed} | {rss:.1f} | {load:.1f} |"
        )


@dataclass
class RedisTrace:
    """What the soak's Redis held: ``(elapsed seconds, used_memory bytes, keys)`` samples."""

    url: str
    process: RedisProcess | None
    samples: list[tuple[float, int, int]] = field(default_factory=list)

    async def sample(self, elapsed: float) -> None:
        info = await redis_info(self.url)
        keys = info.get("db0", "keys=0").split(",")[0].removeprefix("keys=")
        self.samples.append((elapsed, int(info["used_memory"]), int(keys)))

    def line(self, warm: float) -> str:
        first = next((s for s in self.samples if s[0] >= warm), self.samples[0])
        last = self.samples[-1]
        rss = (
            f"; redis-server RSS at the end {rss_bytes(self.process.process.pid) / 2**20:.1f} MiB"
            if self.process is not None and self.process.process.poll() is None
            else ""
        )
        return (
            f"- Redis ({'started by the soak' if self.process else self.url}): used_memory "
            f"{first[1] / 2**20:.1f} MiB and {first[2]} keys after warm-up, "
            f"{last[1] / 2**20:.1f} MiB and {last[2]} keys at the end{rss}"
        )


async def soak(args: argparse.Namespace) -> str:
    fake = FakeSlack()
    await fake.start()
    log_dir = Path(tempfile.mkdtemp(prefix="slack-soak-"))
    redis: RedisTrace | None = None
    if args.redis:
        started_redis = RedisProcess(log_dir)
        redis = RedisTrace(started_redis.url, started_redis)
    elif args.redis_url:
        redis = RedisTrace(args.redis_url, None)
    try:
        prefix = (
            (sys.executable, str(BENCH / "traced_serve.py"), "--snapshots", str(log_dir), "--")
            if args.trace
            else ()
        )
        server = await start_server(
            "ours", fake, log_dir, prefix, redis_url=redis.url if redis else None
        )
    except BaseException:
        if redis and redis.process:
            redis.process.stop()
        raise
    pid = server.process.pid
    duration = args.minutes * 60
    window_seconds = args.window_minutes * 60
    warm = args.warmup_minutes * 60
    snapshots: list[Path] = []
    windows = [Window(w * window_seconds) for w in range(int(duration // window_seconds) + 1)]
    rss_trace: list[tuple[float, int]] = []
    pending: set[asyncio.Task[None]] = set()
    started = time.monotonic()
    try:
        async with Client(fake, server.url) as client:

            async def one(kind: str, text: str, user: str, window: Window) -> None:
                send = client.command if kind == "command" else client.mention
                try:
                    window.samples.append(await send(text, user=user))
                except Exception as exc:  # a bug here must not lose the sample
                    print(f"load generator error: {exc!r}", file=sys.stderr)
                    window.samples.append(Sample(None, None, -1))

            async def sampler() -> None:
                while True:
                    elapsed = time.monotonic() - started
                    rss = rss_bytes(pid)
                    rss_trace.append((elapsed, rss))
                    window = windows[min(len(windows) - 1, int(elapsed // window_seconds))]
                    window.rss.append(rss)
                    window.load.append(os.getloadavg()[0])
                    if args.trace and elapsed >= warm and not snapshots:
                        snapshots.append(await heap_snapshot(server.process, log_dir, 1))
                    if redis is not None:
                        await redis.sample(elapsed)
                    if window.samples and len(window.rss) % 12 == 1:
                        print(
                            f"{elapsed / 60:5.1f} min {window.line(args.window_minutes)}"
                            f" placeholders {fake.placeholders} busy {fake.busy}",
                            flush=True,
                        )
                    await asyncio.sleep(args.sample)

            watching = asyncio.create_task(sampler())
            mix = itertools.cycle(MIX)
            users = itertools.cycle(USERS)
            for n in itertools.count():
                due = started + n / args.rate
                now = time.monotonic()
                if due - started >= duration:
                    break
                if due > now:
                    await asyncio.sleep(due - now)
                kind, text = next(mix)
                window = windows[int((due - started) // window_seconds)]
                task = asyncio.create_task(one(kind, text, next(users), window))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.gather(*pending)
            watching.cancel()
            rss_trace.append((time.monotonic() - started, rss_bytes(pid)))
            if args.trace and snapshots:
                snapshots.append(await heap_snapshot(server.process, log_dir, 2))
            if redis is not None:
                await redis.sample(time.monotonic() - started)
        redis_line = redis.line(warm) if redis else None
    finally:
        server.stop()
        await fake.close()
        if redis and redis.process:
            redis.process.stop()
    text = report(args, windows, rss_trace, log_dir, fake.placeholders, fake.busy, redis_line)
    return text + (heap_growth(snapshots[0], snapshots[1]) if len(snapshots) == 2 else "")


async def heap_snapshot(process: subprocess.Popen[bytes], log_dir: Path, number: int) -> Path:
    """Ask the traced server for a snapshot of its heap (SIGUSR1) and wait until written."""
    process.send_signal(signal.SIGUSR1)
    done = log_dir / f"snapshot-{number}.done"
    for _ in range(3000):  # another process writes it: poll, for 10 minutes at most
        if done.exists():
            return log_dir / f"snapshot-{number}.pickle"
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the traced server wrote no snapshot {number}; see {log_dir}")


def heap_growth(before: Path, after: Path, top: int = 25) -> str:
    """The traced heap's growth between two snapshots, by line, largest first."""
    old, new = tracemalloc.Snapshot.load(str(before)), tracemalloc.Snapshot.load(str(after))
    stats = new.compare_to(old, "lineno")
    total = sum(s.size for s in stats)
    grown = sum(s.size_diff for s in stats)
    lines = [
        "",
        f"Python heap (tracemalloc): {(total - grown) / 2**20:.1f} MiB after warm-up, "
        f"{total / 2**20:.1f} MiB at the end, {grown / 2**20:+.1f} MiB; the lines that grew most:",
        "",
        "| KiB grown | blocks grown | average B | where |",
        "|---:|---:|---:|---|",
    ]
    for stat in stats[:top]:
        frame = stat.traceback[0]
        where = frame.filename.replace(str(BENCH.parent) + "/", "")
        lines.append(
            f"| {stat.size_diff / 1024:+.0f} | {stat.count_diff:+d} "
            f"| {stat.size // max(stat.count, 1)} | {where}:{frame.lineno} |"
        )
    return "\n".join(lines) + "\n"


def report(
    args: argparse.Namespace,
    windows: list[Window],
    rss_trace: list[tuple[float, int]],
    log_dir: Path,
    placeholders: int,
    busy: int,
    redis_line: str | None = None,
) -> str:
    samples = [s for w in windows for s in w.samples]
    acks = [s.ack for s in samples if s.ack is not None]
    answers = [s.answer for s in samples if s.answer is not None]
    failed = sum(1 for s in samples if s.answer is None)
    warm = args.warmup_minutes * 60
    after_warmup = [r for t, r in rss_trace if t >= warm]
    base = after_warmup[0] if after_warmup else rss_trace[0][1]
    final = rss_trace[-1][1]
    peak = max(r for _, r in rss_trace)
    growth = (final - base) / base * 100
    # One sample moves by several MiB (a chart's render buffer comes and goes), so also the
    # median over the minute after warm-up against the median over the last minute.
    first_minute = [r for t, r in rss_trace if warm <= t < warm + 60] or [base]
    last_minute = [r for t, r in rss_trace if t >= rss_trace[-1][0] - 60]
    steady = (median(last_minute) - median(first_minute)) / median(first_minute) * 100
    with (log_dir / "rss.csv").open("w") as out:
        out.writelines(f"{t:.1f},{r}\n" for t, r in rss_trace)
    load = os.getloadavg()
    stores = (
        " --redis" if args.redis else f" --redis-url {args.redis_url}" if args.redis_url else ""
    ) + (" --trace" if args.trace else "")
    lines = [
        f"Command: `python bench/slack_soak.py --minutes {args.minutes:g} --rate {args.rate:g} "
        f"--warmup-minutes {args.warmup_minutes:g}{stores}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average at the end {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}. Server log: {log_dir}.",
        "",
        f"Sent {len(samples)} messages ({args.rate:g}/s, half slash commands, half mentions), "
        f'{failed} without an answer within 30 s; {placeholders} "Working on it…" '
        "placeholders shown (an answer's latency is to the answer itself, not its placeholder); "
        f'{busy} answers were "busy, try again" (the admission lanes full).',
        "",
        f"- RSS: {rss_trace[0][1] / 2**20:.1f} MiB at the first sample, {base / 2**20:.1f} MiB "
        f"after {args.warmup_minutes:g} min warm-up, {final / 2**20:.1f} MiB at the end, peak "
        f"{peak / 2**20:.1f} MiB: growth after warm-up **{growth:+.1f} %** (limit 10 %)",
        f"- RSS median over the minute after warm-up {median(first_minute) / 2**20:.1f} MiB, over "
        f"the last minute {median(last_minute) / 2**20:.1f} MiB: {steady:+.1f} % "
        f"(every sample: {log_dir / 'rss.csv'})",
        f"- ack p50 {percentile(acks, 0.5) * 1000:.1f} ms, **p99 "
        f"{percentile(acks, 0.99) * 1000:.1f} ms** (limit 1000 ms), max {max(acks) * 1000:.1f} ms",
        f"- answer p50 {percentile(answers, 0.5) * 1000:.1f} ms, p99 "
        f"{percentile(answers, 0.99) * 1000:.1f} ms",
        *([redis_line] if redis_line else []),
        "",
        "| minutes | messages | ack p50 ms | ack p99 ms | answer p50 ms | answer p99 ms "
        "| failed | RSS MiB (end) | max 1-min load average |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [w.line(args.window_minutes) for w in windows if w.samples]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--warmup-minutes", type=float, default=5)
    parser.add_argument("--window-minutes", type=float, default=5)
    parser.add_argument("--sample", type=float, default=5, help="seconds between RSS reads")
    parser.add_argument("--out", type=Path, help="also write the report here")
    stores = parser.add_mutually_exclusive_group()
    stores.add_argument(
        "--redis", action="store_true", help="start a redis-server and give the bot REDIS_URL"
    )
    stores.add_argument("--redis-url", help="give the bot this REDIS_URL (a Redis you run)")
    parser.add_argument(
        "--trace", action="store_true", help="run the server under tracemalloc, compare its heap"
    )
    args = parser.parse_args()
    text = asyncio.run(soak(args))
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
