"""Loads every module of ``tests/harness`` as a pytest plugin (service fixtures)."""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator

import pytest

# Harness modules import each other; register them for assertion rewriting before loading.
pytest.register_assert_rewrite("tests.harness")

from tests import harness  # noqa: E402

pytest_plugins = [
    f"tests.harness.{module.name}" for module in pkgutil.iter_modules(harness.__path__)
]


@pytest.fixture(autouse=True, scope="session")
def _private_data_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The suite's own ``XDG_DATA_HOME``: the embedded SQLite database (used when a test
    builds the bot without ``DATABASE_URL``) never lands in, or reads from, the real
    ``~/.local/share`` of whoever runs the suite. Set for the whole session, so fixtures of
    any scope see it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
        yield


@pytest.fixture(autouse=True)
def _private_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """And one per test, so function-scoped tests never share that database either."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


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
