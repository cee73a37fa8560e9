"""No generated input crashes the parser or a payload parser (issue 14), in every CI run.

A small, seeded run of ``bench/fuzz_bench.py`` (the same generators and targets as its 10^6
input run, see bench/RESULTS_FUZZ.md): Unicode of every category, mutated phrases and
payloads, odd numbers and times. A failure prints each crash with the input that raised it
and the ``--replay`` arguments that rerun it in the bench.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "fuzz_bench.py"
SEED = 20_614
COUNT = 2_000


def _load_bench() -> ModuleType:
    """The bench script as a module (``bench/`` is not a package)."""
    spec = importlib.util.spec_from_file_location("fuzz_bench", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load_bench()


def test_generated_inputs_raise_nothing_but_documented_refusals(bench: Any) -> None:
    tallies = bench.run(COUNT, SEED, workers=1)
    crashes = [c for t in tallies.values() for c in t.crashes.values()]
    assert sum(t.inputs for t in tallies.values()) == COUNT
    assert set(tallies) == set(bench.BY_NAME), "every target gets inputs"
    assert not crashes, bench.report(tallies, 1.0, 1, SEED)


def _signed(bench: Any) -> tuple[bytes, dict[str, str], str]:
    body, stamp = b"command=%2Fops&text=cpu", str(int(bench.NOW))
    base = b"v0:" + stamp.encode() + b":" + body
    signature = hmac.new(bench._SLACK_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return body, {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + signature}, "1"


SAMPLES: dict[str, Callable[[Any], Any]] = {
    "parser": lambda b: ("approve 12", "none", b.NOW, "UTC"),
    "slack.command": lambda b: ("json", b.slack_samples()["slash_command"]),
    "slack.event": lambda b: (b.slack_samples()["app_mention"], "U0LAN0Z89"),
    "slack.click": lambda b: ("json", b.slack_samples()["block_actions"]),
    "slack.request": _signed,
    "slack.text": lambda b: "<@U1|ann> &amp; <#C1|ops>",
    "teams.activity": lambda b: b.teams_samples()["docs"]["card_click"],
    "discord.message": lambda b: (b.discord_samples()["docs"]["guild"], None),
    "discord.interaction": lambda b: b.discord_samples()["docs"]["component"],
    "alertmanager.webhook": lambda b: b.dumps(b.alertmanager_samples()["docs"]["firing"]).encode(),
    "alertmanager.api": lambda b: ("alerts", 200, b.dumps([b._API_ALERT])),
}


@pytest.mark.parametrize("target", sorted(SAMPLES))
def test_unmutated_samples_are_accepted(bench: Any, target: str) -> None:
    """The harness drives the real code: a recorded payload goes all the way through (were
    it refused by a wrong set-up, every mutation of it would be too, proving nothing)."""
    assert set(SAMPLES) == set(bench.BY_NAME)
    assert bench.BY_NAME[target].run(SAMPLES[target](bench)) == "accepted"
