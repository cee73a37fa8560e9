"""Where a process's resident memory sits, by kind of mapping, once a minute (Linux).

Run beside a soak to see which allocator holds what it gains::

    python bench/slack_soak.py --minutes 30 &
    python bench/smaps_sample.py            # finds the soak's `bot.app.cli serve`
    python bench/smaps_sample.py --pid 1234 --every 10

Each line: minutes since the first sample, the process's thread count, and the RSS (MiB,
with the number of mappings) of

- ``heap``: the main malloc arena (``[heap]``, grown by ``brk``);
- ``thread_arenas``: anonymous mappings that start on a 64 MiB boundary, which is how glibc
  places the arena of each thread that calls ``malloc`` (the rest of its 64 MiB is reserved,
  not resident);
- ``anon``: every other anonymous mapping: pymalloc's arenas (the kernel merges adjacent ones
  into one mapping), large blocks ``malloc`` maps on their own, thread stacks;
- ``files``: code and data mapped from files (Python, the extension modules, fonts);
- ``other``: the stack, vdso and the like.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections import defaultdict
from pathlib import Path

_MAPPING = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$")
_ARENA_ALIGN = 64 * 2**20


def find_server(pattern: str, wait_seconds: float = 120) -> int:
    """The pid of a process whose command line contains ``pattern`` (waiting for one)."""
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if pattern in command:
                return int(entry.name)
        time.sleep(1)
    raise SystemExit(f"no process runs {pattern!r}")


def kind_of(start: int, name: str) -> str:
    if name == "[heap]":
        return "heap"
    if name.startswith("["):
        return "other"
    if name:
        return "files"
    return "thread_arenas" if start % _ARENA_ALIGN == 0 else "anon"


def sample(pid: int) -> tuple[dict[str, int], dict[str, int]]:
    """RSS in KiB and the number of mappings, by kind."""
    rss: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    kind = "other"
    with Path(f"/proc/{pid}/smaps").open() as lines:
        for line in lines:
            mapping = _MAPPING.match(line)
            if mapping is not None:
                kind = kind_of(int(mapping.group(1), 16), mapping.group(3).strip())
                count[kind] += 1
            elif line.startswith("Rss:"):
                rss[kind] += int(line.split()[1])
    return rss, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pid", type=int, help="default: the soak's server")
    parser.add_argument("--match", default="bot.app.cli serve", help="a part of its command line")
    parser.add_argument("--every", type=float, default=60, help="seconds between samples")
    args = parser.parse_args()
    pid = args.pid or find_server(args.match)
    started = time.monotonic()
    while True:
        try:
            rss, count = sample(pid)
            threads = len(os.listdir(f"/proc/{pid}/task"))
        except FileNotFoundError:
            return 0
        parts = " ".join(f"{k}={rss[k] / 1024:.1f}MiB({count[k]})" for k in sorted(rss))
        minutes = (time.monotonic() - started) / 60
        print(f"{minutes:5.1f} min threads={threads} {parts}", flush=True)
        time.sleep(args.every)


if __name__ == "__main__":
    raise SystemExit(main())
