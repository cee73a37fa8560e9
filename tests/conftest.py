"""Loads every module of ``tests/harness`` as a pytest plugin (service fixtures)."""

from __future__ import annotations

import pkgutil

import pytest

# Harness modules import each other; register them for assertion rewriting before loading.
pytest.register_assert_rewrite("tests.harness")

from tests import harness  # noqa: E402

pytest_plugins = [
    f"tests.harness.{module.name}" for module in pkgutil.iter_modules(harness.__path__)
]


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """The random-order seed at the end of every run (``-q`` hides pytest-randomly's header),
    so a failure that depends on order can be replayed."""
    seed = getattr(config.option, "randomly_seed", None)
    if config.pluginmanager.hasplugin("randomly") and isinstance(seed, int):
        terminalreporter.write_line(
            f"test order: -p randomly --randomly-seed={seed} (file order: -p no:randomly)"
        )
