"""The Bot Framework SDK stays inside ``adapters/teams``: moving to the Microsoft 365 Agents
SDK must touch one folder only."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "intents", "adapters", "storage", "ml")
SDK_ROOTS = {"botbuilder", "botframework", "msrest"}


def sdk_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return [name for name in found if name.split(".")[0] in SDK_ROOTS]


def test_no_bot_framework_import_outside_the_teams_adapter() -> None:
    """Every botbuilder/botframework/msrest import is under adapters/teams."""
    teams = ROOT / "adapters" / "teams"
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if teams not in path.parents
        for name in sdk_imports(path)
    ]
    assert offenders == []


def test_the_teams_adapter_does_use_the_sdk() -> None:
    """The scan above would notice an import (it is not vacuous)."""
    assert "botbuilder.core" in sdk_imports(ROOT / "adapters" / "teams" / "bot.py")
