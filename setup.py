"""Build hook: everything else about the package is in ``pyproject.toml``.

``SMARTCLOUDOPS_COMPILE=1 pip install .`` compiles the intent parser (``intents/``) with
mypyc, the compiler that ships with mypy: the parser is already checked by mypy in strict
mode, and compiled it parses about twice as fast (``bench/RESULTS_SLACK.md``). The image
(``Dockerfile``) is built so; a plain ``pip install`` (and the editable install of
``dev.sh``) stays pure Python, so an edit to the parser takes effect at once.

Not compiled: ``intents/model.py`` (the intent types every layer builds and reads; compiled,
their fields would be type-checked at run time, unlike everywhere else), ``intents/ports.py``
(a runtime-checkable Protocol, which mypyc cannot compile) and the package's ``__init__``.
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import setup

MYPY = "mypy>=1.10"
"""The compiler, as the ``dev`` extra pins mypy (mypyc ships with it); the parser reads
its keyword tables with PyYAML, whose types mypy needs too."""
NOT_COMPILED = frozenset({"__init__.py", "model.py", "ports.py"})


def compiled_modules(root: Path) -> list[str]:
    """The parser's modules that ``SMARTCLOUDOPS_COMPILE=1`` compiles, relative to ``root``."""
    return sorted(
        str(path.relative_to(root))
        for path in (root / "intents").glob("*.py")
        if path.name not in NOT_COMPILED
    )


def _extensions() -> list[object]:
    if os.environ.get("SMARTCLOUDOPS_COMPILE") != "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        # The build front end's first pass: setup_requires below asks it for mypy, and
        # it runs this file again with mypy installed.
        return []
    root = Path(__file__).resolve().parent
    return list(mypycify(compiled_modules(root), opt_level="3"))


setup(
    ext_modules=_extensions(),
    setup_requires=[MYPY, "types-PyYAML"] if os.environ.get("SMARTCLOUDOPS_COMPILE") == "1" else [],
)
