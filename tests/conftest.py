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
