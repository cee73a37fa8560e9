"""Dependencies point inward: importing the core and the features (``bot.core``,
``bot.features``, ``intents``) loads no platform SDK, no Redis, SQL or scikit-learn module,
and none of the outer packages that wrap them. Only the composition root (``bot.app``) may.

The static side of the same rule (every import statement, not just what loads) is checked by
import-linter with the contracts in ``pyproject.toml``; this test checks what actually loads,
which also catches an SDK pulled in through a third-party package."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

CORE = ("bot.core", "bot.features", "intents")
FORBIDDEN = (
    "slack_bolt",
    "slack_sdk",
    "botbuilder",
    "botframework",
    "discord",
    "redis",
    "fakeredis",
    "sqlalchemy",
    "psycopg",
    "sklearn",
    # The outer layers themselves: only the composition root (bot.app) imports them.
    "adapters",
    "storage",
    "ml",
)
ROOT = Path(__file__).resolve().parents[2]

# Imports every module of the given packages, one at a time, and names the first module after
# whose import each forbidden top-level package appeared in sys.modules.
_PROBE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys

    packages, forbidden = sys.argv[1].split(","), sys.argv[2].split(",")
    culprits, modules = {}, []

    def note(module):
        modules.append(module)
        for name in forbidden:
            if name in sys.modules and name not in culprits:
                culprits[name] = module

    for package in packages:
        root = importlib.import_module(package)
        note(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            importlib.import_module(info.name)
            note(info.name)
    print(json.dumps({"modules": modules, "culprits": culprits}))
    """
)


def probe(packages: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    """Import ``packages`` in a fresh interpreter; the modules imported and who pulled in what."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(packages), ",".join(FORBIDDEN)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, f"importing the core failed:\n{done.stderr[-3000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["modules"], result["culprits"]


def test_core_imports_no_outer_dependency() -> None:
    """Every module of the core, the features and ``intents`` imports cleanly without loading
    any SDK, Redis, SQL, scikit-learn or outer-package module."""
    modules, culprits = probe(CORE)
    assert {"bot.core.dispatcher", "bot.features.alerts.publisher", "intents.model"} <= set(modules)
    assert culprits == {}, "core modules pulled in outer dependencies: " + ", ".join(
        f"{name} (after importing {module})" for name, module in culprits.items()
    )


def test_probe_notices_a_forbidden_import() -> None:
    """The probe itself works: the Redis store (outside the core) is caught importing redis."""
    _, culprits = probe(("storage",))
    assert culprits.get("redis", "").startswith("storage.")
