"""Run a server (``python -m module args...``) with tracemalloc on, for ``slack_soak.py --trace``.

Each SIGUSR1 writes a snapshot of the Python heap to ``--snapshots DIR/snapshot-N.pickle``
(after a full collection), then ``DIR/snapshot-N.done``, so the soak can compare the heap
after warm-up with the heap at the end and name the lines that grew. tracemalloc slows every
allocation and keeps its own records, so a traced run's RSS and latencies are not the
soak's: only the heap comparison is.

    python bench/traced_serve.py --snapshots DIR [--frames 1] -- python -m bot.app.cli serve
"""

from __future__ import annotations

import argparse
import gc
import itertools
import runpy
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--snapshots", type=Path, required=True)
    parser.add_argument("--frames", type=int, default=1)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = [part for part in args.command if part != "--"]
    if len(command) < 3 or command[1] != "-m":
        parser.error("the command must be: python -m module [args...]")
    numbers = itertools.count(1)

    def dump(_signum: int, _frame: FrameType | None) -> None:
        number = next(numbers)
        gc.collect()
        tracemalloc.take_snapshot().dump(str(args.snapshots / f"snapshot-{number}.pickle"))
        (args.snapshots / f"snapshot-{number}.done").touch()

    signal.signal(signal.SIGUSR1, dump)
    tracemalloc.start(args.frames)
    sys.argv = [command[2], *command[3:]]
    runpy.run_module(command[2], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
