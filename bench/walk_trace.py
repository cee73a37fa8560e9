"""Walk one ``/ops cpu web-1 2h`` through the real serve-mode app and count the code it crosses.

The signed slash command goes through the real Bolt app on the real aiohttp server, against
the fake Slack Web API (tests/fakes), with the embedded demo metrics source. A profile hook
records every call into a project module (``bot``, ``adapters``, ``intents``, ``ml``,
``storage``) and every call the project makes into ``slack_bolt``; the report lists each
distinct edge between two modules once, in the order first crossed, and sums them up:

* **files**: project modules that ran for this one question;
* **edges**: distinct module-to-module calls (``IN`` from outside the project, ``HOP``
  between project modules, ``OUT`` into Bolt), with the parser's internal hops counted apart.

docs/ARCHITECTURE.md quotes the numbers; it is a reading aid for the layering, not a speed
benchmark (the profile hook makes everything slow).

    .venv/bin/python bench/walk_trace.py [--edges]

To compare with an older commit, copy this file into a checkout of it (``bench/``) and run it
there with the same interpreter; it also knows the layout before the reshape (b757baf).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PROJECT = tuple(f"{ROOT}/{name}/" for name in ("bot", "adapters", "intents", "ml", "storage"))
SITE = "/site-packages/"
FOLDED = re.compile(r"(\.<locals>\.<(listcomp|genexpr|dictcomp|setcomp|lambda)>)+$")


@dataclass(frozen=True, slots=True)
class Call:
    kind: str  # IN, HOP or OUT
    caller: str
    callee: str


def _kind(filename: str) -> str:
    if filename.startswith(PROJECT):
        return "project"
    return "third" if SITE in filename else "std"


def _module(filename: str) -> str:
    if SITE in filename:
        return filename.split(SITE, 1)[1][:-3].replace("/", ".")
    if filename.startswith(f"{ROOT}/"):
        return filename[len(str(ROOT)) + 1 : -3].replace("/", ".")
    return filename.rsplit("/", 1)[-1]


def _name(frame: FrameType) -> str:
    code = frame.f_code
    return f"{_module(code.co_filename)}.{FOLDED.sub('', code.co_qualname)}"


class Recorder:
    """A ``sys.setprofile`` hook collecting module-crossing calls while enabled."""

    def __init__(self) -> None:
        self.enabled = False
        self.calls: list[Call] = []

    def __call__(self, frame: FrameType, event: str, _: Any) -> None:
        if not self.enabled or event != "call":
            return
        kind = _kind(frame.f_code.co_filename)
        caller = frame.f_back
        if caller is None or kind == "std":
            return
        caller_kind = _kind(caller.f_code.co_filename)
        if kind == "third":
            if caller_kind == "project" and _module(frame.f_code.co_filename).startswith(
                "slack_bolt"
            ):
                self.calls.append(Call("OUT", _name(caller), _name(frame)))
            return
        if caller_kind == "project":
            if _module(caller.f_code.co_filename) != _module(frame.f_code.co_filename):
                self.calls.append(Call("HOP", _name(caller), _name(frame)))
        else:
            self.calls.append(Call("IN", f"[{_name(caller)}]", _name(frame)))


async def walk(recorder: Recorder) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    try:
        from adapters.slack.factory import SLACK_ADAPTER_KEY
        from bot.app.server import build_web_app
        from bot.app.services import open_services
    except ImportError:  # the layout before the reshape (b757baf), for the comparison
        from adapters.slack.wiring import SLACK_ADAPTER_KEY  # type: ignore[no-redef,import-not-found,unused-ignore]
        from bot.app import open_services  # type: ignore[no-redef,attr-defined,unused-ignore]
        from bot.server import build_web_app  # type: ignore[no-redef,import-not-found,unused-ignore]
    from tests.fakes.slack_api import FakeSlack
    from tests.fakes.slack_bot import BOT_TOKEN, SIGNING_SECRET, SlackBot, slack_settings
    from tests.fakes.slack_requests import slash_command

    async with (
        FakeSlack(bot_token=BOT_TOKEN) as fake,
        open_services(slack_settings(fake)) as services,
    ):
        app = build_web_app(services.telemetry, services.checks, services.web_plugins)
        async with TestClient(TestServer(app)) as client:
            bot = SlackBot(client, app[SLACK_ADAPTER_KEY], SIGNING_SECRET)
            request = slash_command("cpu web-1 2h", response_url=fake.response_url("walk"))
            # Warm up untraced with help and a question of the same kind about another target,
            # so what is built once on first use (the metrics handlers, since features are built
            # lazily) is not counted as the path of every request.
            for warm in ("help", "memory web-2 1h"):
                await bot.send(slash_command(warm, response_url=fake.response_url(f"warm-{warm}")))
                await bot.settle()
            sys.setprofile(recorder)
            threading.setprofile(recorder)
            recorder.enabled = True
            try:
                await bot.send(request)
                await bot.settle()
            finally:
                recorder.enabled = False
                sys.setprofile(None)
                threading.setprofile(None)
            answered = [c for c in fake.calls if c.method == "response_url"]
            if not answered:
                raise SystemExit("the slash command was not answered: nothing to report")


def report(calls: list[Call], *, edges: bool) -> str:
    first: dict[Call, int] = {}
    for call in calls:
        first.setdefault(call, len(first))
    modules = sorted({_owner(c.callee) for c in first if c.kind != "OUT"})
    parser = sum(
        1
        for c in first
        if c.kind == "HOP" and c.caller.startswith("intents.") and c.callee.startswith("intents.")
    )
    kinds = collections.Counter(c.kind for c in first)
    lines = [
        f"project modules that ran: {len(modules)}",
        f"distinct edges: {len(first)} (IN {kinds['IN']}, HOP {kinds['HOP']}, OUT {kinds['OUT']});"
        f" parser-internal hops {parser}, other hops {kinds['HOP'] - parser}",
        "modules by package: "
        + ", ".join(
            f"{pkg} {n}"
            for pkg, n in sorted(collections.Counter(_package(m) for m in modules).items())
        ),
    ]
    if edges:
        lines += [f"{i:3d} {c.kind:3s} {c.caller} -> {c.callee}" for c, i in first.items()]
    return "\n".join(lines)


def _owner(qualified: str) -> str:
    """The module of ``package.module.Class.method`` (the longest importable prefix)."""
    parts = qualified.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ROOT.joinpath(*parts[:end]).with_suffix(".py")
        if candidate.exists():
            return ".".join(parts[:end])
    return qualified


def _package(module: str) -> str:
    parts = module.split(".")
    if parts[0] in ("bot", "adapters") and len(parts) > 2:
        return ".".join(parts[:2])
    return parts[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edges", action="store_true", help="list every edge, in order")
    args = parser.parse_args()
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="walk-")
    recorder = Recorder()
    asyncio.run(walk(recorder))
    print(report(recorder.calls, edges=args.edges))


if __name__ == "__main__":
    main()
