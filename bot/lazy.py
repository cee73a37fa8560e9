"""Package re-exports that import their module on first use (PEP 562).

A package ``__init__`` that re-exports its whole API imports every submodule as soon as any
one of them is imported. ``bot.alerts`` and ``bot.remediation`` hold the chat-command routes
every parser needs (``smartcloudops parse`` included) next to the webhook, the publisher and
pydantic policy models that only the running bot needs; loading those eagerly cost ``parse``
about a third of a second of start-up (``bench/RESULTS_STARTUP.md``). Such a package lists
its exports under ``if TYPE_CHECKING:`` for type checkers and readers, and otherwise sets
``__getattr__ = lazy_exports(__name__, {...})`` with the same names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence


def lazy_exports(package: str, homes: Mapping[str, Sequence[str]]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package`` that imports each name from its module
    (``homes`` maps module -> names) when it is first asked for."""
    where = {name: module for module, names in homes.items() for name in names}

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__
