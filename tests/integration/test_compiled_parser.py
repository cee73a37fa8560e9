"""The parser compiled with mypyc (``SMARTCLOUDOPS_COMPILE=1``, as the image is built) reads
every message exactly as the pure-Python parser does.

mypyc keeps Python's semantics except where a declared type is enforced: a value annotated
``float`` becomes a float (``90`` -> ``90.0``), and a wrong type raises instead of passing
through. So a copy of the project is built with the real ``setup.py``, and both trees parse
every labelled and training text, after no history, a metric question and an open "did you
mean", at two moments; the ``repr()`` of every intent must be the same. The build needs a C
compiler and the Python headers (``./dev.sh test`` installs them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.require import require_binary

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "tests" / "unit" / "data"

DUMP = """
import sys
from pathlib import Path

import intents.parser
from intents.evaluation import labelled_texts
from intents.model import Turn
from intents.parser import IntentParser
from ml.intent_classifier import IntentClassifier
from ml.intent_training import load_utterances

T0 = 1_796_400_000.0
texts = sorted(set(labelled_texts(Path(sys.argv[1]))) | {u.text for u in load_utterances()})
histories = [
    (),
    (Turn("metric_query", {"metric": "cpu", "target": "web-1", "range": 7200}, T0 - 60),),
    (Turn("unknown", {}, T0 - 30, "restart payments"),),
]
parser = IntentParser(IntentClassifier.load())
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write(intents.parser.__file__ + "\\n")
    for now in (T0, T0 + 3600 * 15.5):
        for history in histories:
            for text in texts:
                out.write(repr(parser.parse(text, history, now)) + "\\n")
"""


def _dump(tree: Path, out: Path) -> list[str]:
    """Every parse of ``tree``'s parser, after the module file it was loaded from."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run(
        [sys.executable, "-c", DUMP, str(LABELLED), str(out)],
        cwd=tree, env=env, check=True, timeout=600,
    )  # fmt: skip
    return out.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def compiled_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with its parser compiled in place by ``setup.py``."""
    require_binary("gcc")
    tree = tmp_path_factory.mktemp("compiled")
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    for package in ("intents", "ml"):
        shutil.copytree(
            ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__", "*.so")
        )
    env = {**os.environ, "SMARTCLOUDOPS_COMPILE": "1"}
    build = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return tree


def test_the_build_compiles_every_parser_module_but_the_shared_types(compiled_tree: Path) -> None:
    compiled = {p.name.split(".")[0] for p in (compiled_tree / "intents").glob("*.so")}
    sources = {p.stem for p in (ROOT / "intents").glob("*.py")}
    assert compiled == sources - {"__init__", "model", "ports"}


def test_the_compiled_parser_reads_every_text_as_the_pure_one_does(
    compiled_tree: Path, tmp_path: Path
) -> None:
    pure = _dump(ROOT, tmp_path / "pure.txt")
    compiled = _dump(compiled_tree, tmp_path / "compiled.txt")
    assert pure[0].endswith("parser.py")
    assert compiled[0].endswith(".so"), compiled[0]
    assert len(compiled) == len(pure) > 10_000
    differing = [(p, c) for p, c in zip(pure[1:], compiled[1:], strict=True) if p != c]
    assert not differing, f"{len(differing)} parses differ, the first: {differing[:3]}"
