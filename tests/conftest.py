"""Loads every module of ``tests/harness`` as a pytest plugin (service fixtures)."""

from __future__ import annotations

import pkgutil

from tests import harness

pytest_plugins = [
    f"tests.harness.{module.name}" for module in pkgutil.iter_modules(harness.__path__)
]
