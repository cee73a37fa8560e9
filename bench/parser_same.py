"""Does a change to the parser change any parse? Parses every labelled and training text
(3654, with some time phrases) at two moments, in two timezones and after three histories,
and writes ``repr()`` of each intent, one a line, so two code trees can be compared:

    git archive <base> | tar -x -C /tmp/base
    PYTHONPATH=/tmp/base python bench/parser_same.py /tmp/base /tmp/base.txt
    PYTHONPATH=. python bench/parser_same.py . /tmp/new.txt
    cmp /tmp/base.txt /tmp/new.txt

Run this file from this tree for both: the texts come from its ``tests/unit/data`` (and the
training utterances of the tree given), the code from the tree given.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
TEXTS = HERE / "tests" / "unit" / "data"
EXTRA = [
    "since 3am", "yesterday afternoon", "cpu of web-1 2 hours ago", "an hour ago",
    "half an hour ago", "silence NodeDown until tomorrow", "last tuesday", "this morning",
    "15:00-17:00", "at 3pm", "2026-12-01t10:00z", "between 15:00 and 17:00",
    "over the weekend", "forecast disk db-primary by tomorrow", "twenty-four hours ago",
    "a couple of hours ago", "midnight", "noon", "since monday", "tonight",
]  # fmt: skip
T0 = 1_796_400_000.0


def labelled_here() -> list[str]:
    """The labelled texts of this tree (``intents.evaluation.labelled_texts`` of *this* tree,
    in a child process, so the tree under comparison may lack it or read them differently)."""
    code = (
        "import json, sys; from pathlib import Path; from intents.evaluation import "
        "labelled_texts; json.dump(labelled_texts(Path(sys.argv[1])), sys.stdout)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    found = subprocess.run(
        [sys.executable, "-c", code, str(TEXTS)],
        cwd=HERE, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    texts: list[str] = json.loads(found.stdout)
    return texts


def texts(parser_bench: object, utterances: list[str]) -> list[str]:
    found = set(utterances) | set(EXTRA) | set(labelled_here())
    for name in ("TERSE", "PROMQL", "FOLLOWUPS", "INJECTIONS"):
        found.update(getattr(parser_bench, name))
    return sorted(t for t in found if isinstance(t, str))


def main(root: Path, out: Path) -> int:
    sys.path[:0] = [str(root), str(root / "bench")]
    import parser_bench

    from intents.model import Turn
    from intents.parser import IntentParser
    from ml.intent_classifier import IntentClassifier
    from ml.intent_training import load_utterances

    every = texts(parser_bench, [u.text for u in load_utterances()])
    histories = [
        (),
        (Turn("metric_query", {"metric": "cpu", "target": "web-1", "range": 7200}, T0 - 60),),
        (Turn("unknown", {}, T0 - 30, "restart payments"),),
    ]
    with out.open("w", encoding="utf-8") as lines:
        for tz in (UTC, timezone(timedelta(hours=-7))):
            parser = IntentParser(IntentClassifier.load(), timezone=tz)
            for now in (T0, T0 + 3600 * 15.5):
                for history in histories:
                    for text in every:
                        lines.write(repr(parser.parse(text, history, now)) + "\n")
    print(f"{len(every)} texts, {len(every) * 12} parses -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2])))
