"""Start-up time of the ``smartcloudops`` commands against ``python -c "import aiohttp, numpy"``.

Issue 12 asks that ``smartcloudops parse TEXT`` and ``chat -c`` start within 1.5x of that
baseline (the two libraries every command needs) on the same machine, and that ``serve``
answers ``GET /healthz`` within 1 s. Each round runs every command once, in turn, so slow
phases of a shared machine hit all of them alike; the report gives the median and the minimum
of each and their ratio to the baseline's.

``chat -c help`` and a plain question (``chat -c "is web-1 up?"``) are held to the ratio;
``chat -c "cpu of web-1"`` draws a chart (matplotlib) in its answer: that is work, not
start-up, so it is reported on its own row and not held to the ratio. ``serve`` is timed from
process start until ``/healthz`` answers 200 on a free port. Every command runs on the
embedded defaults (no ``*_URL``, no config file, no platform credentials) in a scratch
directory, so charts and the throw-away SQLite file do not land in the checkout.

    .venv/bin/python bench/startup_bench.py [--rounds N] [--write]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS_STARTUP.md")
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
COMMAND = ".venv/bin/python bench/startup_bench.py --write"
PYTHON = sys.executable
CLI = str(Path(PYTHON).with_name("smartcloudops"))
BASELINE = "baseline"
#: Rows held to the 1.5x target.
TARGETED = ("parse", "chat -c help", "chat -c 'is web-1 up?'")
COMMANDS: dict[str, list[str]] = {
    BASELINE: [PYTHON, "-c", "import aiohttp, numpy"],
    "parse": [CLI, "parse", "cpu of web-1 over the last 2h"],
    "chat -c help": [CLI, "chat", "-c", "help"],
    "chat -c 'is web-1 up?'": [CLI, "chat", "-c", "is web-1 up?"],
    "chat -c 'cpu of web-1' (draws a chart)": [CLI, "chat", "-c", "cpu of web-1"],
}
SERVE = "serve until /healthz = 200"
#: Environment variables that would configure the bot (``bot.config.load_settings``).
SETTINGS_PREFIXES = ("SMARTCLOUDOPS_", "SLACK_", "TEAMS_", "DISCORD_", "ALERTMANAGER_")


def clean_env(scratch: Path) -> dict[str, str]:
    """This environment without anything that configures the bot (service URLs, a config
    file, platform credentials, PORT), and with matplotlib's cache in ``scratch``. Bytecode
    is written (``PYTHONDONTWRITEBYTECODE`` dropped) so the warm-up round fills the cache as
    an installed bot's would be: otherwise every run would compile the project's sources."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not (
            k.endswith("_URL")
            or k.startswith(SETTINGS_PREFIXES)
            or k in ("PORT", "PYTHONDONTWRITEBYTECODE")
        )
    }
    env["MPLCONFIGDIR"] = str(scratch / "matplotlib")
    return env


def run_once(argv: list[str], env: Mapping[str, str], cwd: Path) -> float:
    """Wall time of one run of ``argv``; fails loudly if the command fails."""
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, timeout=120)
    return time.perf_counter() - started


def serve_once(env: Mapping[str, str], cwd: Path) -> float:
    """Seconds from starting ``smartcloudops serve`` until ``GET /healthz`` returns 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    started = time.perf_counter()
    process = subprocess.Popen([CLI, "serve"], env={**env, "PORT": str(port)}, cwd=cwd)
    try:
        while time.perf_counter() - started < 60:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited with {process.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.01)
        raise RuntimeError("serve did not answer /healthz within 60 s")
    finally:
        process.terminate()
        process.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def measure(rounds: int) -> dict[str, list[float]]:
    """``rounds`` alternating runs of every command (after one untimed warm-up round, which
    fills the bytecode and font caches)."""
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        scratch = Path(tmp)
        env = clean_env(scratch)
        runs: dict[str, Callable[[], float]] = {
            name: (lambda argv=argv: run_once(argv, env, scratch))
            for name, argv in COMMANDS.items()
        }
        runs[SERVE] = lambda: serve_once(env, scratch)
        times: dict[str, list[float]] = {name: [] for name in runs}
        for round_ in range(rounds + 1):
            for name, run in runs.items():
                elapsed = run()
                if round_:
                    times[name].append(elapsed)
    return times


def report(times: dict[str, list[float]]) -> str:
    base_median = statistics.median(times[BASELINE])
    base_min = min(times[BASELINE])
    lines = [
        f"Command: `{COMMAND}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()} (a shared VM; compare rows, not machines).",
        "",
        f"{len(times[BASELINE])} alternating rounds after one warm-up round. Ratios are to the "
        'baseline `python -c "import aiohttp, numpy"`; the target (1.5x) applies to '
        f"{' and '.join(f'`{t}`' for t in TARGETED)}, and `serve` must answer within 1 s.",
        "",
        "| command | median s | min s | median / baseline | min / baseline |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in times.items():
        median, least = statistics.median(values), min(values)
        lines.append(
            f"| `{name}` | {median:.3f} | {least:.3f} | {median / base_median:.2f}x "
            f"| {least / base_min:.2f}x |"
        )
    return "\n".join(lines)


def update(path: Path, block: str) -> None:
    """Replace the generated block of ``path`` (between the markers), keeping the notes."""
    text = path.read_text(encoding="utf-8") if path.exists() else f"{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n{block}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str]) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rounds", type=int, default=10)
    args.add_argument("--write", action="store_true", help=f"rewrite {RESULTS.name}")
    options = args.parse_args(argv)
    text = report(measure(options.rounds))
    print(text)
    if options.write:
        update(RESULTS, text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
