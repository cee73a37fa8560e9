"""Exploration: confirm weak single-lens alerts (issue 13, low-FP), scored on NAB DEV and CMD.

    python bench/nab_confirm.py --nab NAB_ROOT --cmd CMD_ROOT --scorer PATH/nab_score.py
        [--margins 1.2,1.25,1.3] [--out DIR]

The rule under test (not adopted in ``ml.anomaly``): a row whose strongest calibrated ratio
``r`` is at least ``k`` alerts at once; a weaker one (``1 <= r < k``) alerts only when it is
*confirmed*, either by the previous row (its ratio was >= 1 and this row's is still >= ``c``:
one row of delay) or by a second component (the second strongest ratio of the row is >= ``c2``).
As a score: ``max(r / k, min(r_prev, r / c), min(r, second / c2))``, whose value 1 is the
threshold; the suppression of repeats follows unchanged. ``alert_margin`` is varied as well,
since a stricter rule for weak alerts leaves room for a lower margin.

Every file is scored once per margin with :meth:`Detector.score_online`'s segments (causal,
refit at the same checkpoints), keeping each component's ratio after the agreements; the
rule is then applied to those ratios, so the whole grid costs one scoring per margin. The
ratios are read by wrapping ``ml.anomaly.ensemble._strongest`` (bench-only; the shipped
detector is unchanged). The default rule (``off``) reproduces ``score_online``'s scores
exactly (checked per file).

Prints per configuration the normalised Standard / Reward-low-FP of both corpora and the
worst per-category gap to the best reference detector, the configurations that meet every
issue-13 target, and two leave-one-category-out tables: the plain one of ``nab_loco.py``
(best objective on the other 13 categories) and one that only chooses among configurations
whose training categories all keep the 5-point rule.
"""

from __future__ import annotations

import argparse
import itertools
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import nab_loco
import numpy as np
from nab_bench import Report, best_references
from nab_corpus import Evaluation, data_files, evaluate_by_category, load_corpus, load_scorer

import ml.anomaly.ensemble as ensemble
from ml.anomaly import ALERT_THRESHOLD, Detector, DetectorParams
from ml.anomaly.detect_cli import read_series_csv
from ml.anomaly.model import COMPONENTS

KS = (1.5, 2.0, 3.0, float("inf"))
CS = (0.7, 0.8, 0.9)
C2S = (0.4, 0.5, 0.6)
DEFAULT = "margin=1.3,off"


@dataclass(frozen=True)
class Rows:
    """One file: per component and row the ratio after the agreements (0 where unknown)."""

    ratios: np.ndarray
    finite: np.ndarray
    step: float


class _Spy:
    """Keeps the per-component ratios that ``ensemble._strongest`` reduces to the strongest."""

    def __init__(self) -> None:
        self.ratios: np.ndarray | None = None
        self._inner = ensemble._strongest

    def __call__(self, r: Any, known: Any, comps: Any, lenient: Any) -> Any:
        capped = ensemble._apply_agreements(r, known, comps.shape.names, comps.shape.params)
        full = np.zeros((capped.shape[0], len(COMPONENTS), capped.shape[2]))
        for i, name in enumerate(comps.shape.names):
            full[:, COMPONENTS.index(name)] = capped[:, i]
        self.ratios = full
        return self._inner(r, known, comps, lenient)


def component_rows(detector: Detector, spy: _Spy, path: Path) -> Rows:
    """``score_online`` of one file, keeping the component ratios of every segment."""
    series = read_series_csv(path)
    ts = np.asarray(series.timestamps, dtype=float)
    values = np.asarray(series.values, dtype=float)
    n = len(ts)
    ratios = np.zeros((len(COMPONENTS), n))
    cuts = detector._checkpoints(ts)
    state = detector.fit(ts[: cuts[0]], values[: cuts[0]])
    for lo, hi in zip(cuts, [*cuts[1:], n], strict=True):
        if lo < hi:
            state = detector.fit(ts[:lo], values[:lo])
            detector.score(ts[:hi], values[:hi], state)
            assert spy.ratios is not None
            ratios[:, lo:hi] = spy.ratios[0][:, lo:hi]
    rows = Rows(ratios, np.isfinite(values), state.step_seconds)
    expected = detector.score_online(ts, values).raw
    if not np.array_equal(_raw(rows, rows.ratios.max(axis=0)), expected):
        raise SystemExit(f"error: component ratios do not reproduce score_online on {path}")
    return rows


def _raw(rows: Rows, ratio: np.ndarray) -> np.ndarray:
    return np.where(rows.finite, ensemble.to_score(ratio), 0.0)


Rule = Callable[[np.ndarray], np.ndarray]


def confirmed(k: float, c: float, c2: float) -> Rule:
    """The rule of the module docstring, from per-component ratios ``(C, n)``."""

    def rule(ratios: np.ndarray) -> np.ndarray:
        ordered = np.sort(ratios, axis=0)
        r, second = ordered[-1], ordered[-2]
        before = np.concatenate(([0.0], r[:-1]))
        out: np.ndarray = np.maximum.reduce(
            [r / k, np.minimum(before, r / c), np.minimum(r, second / c2)]
        )
        return out

    return rule


def strongest(ratios: np.ndarray) -> np.ndarray:
    out: np.ndarray = ratios.max(axis=0)
    return out


def rules() -> list[tuple[str, Rule]]:
    out: list[tuple[str, Rule]] = [("off", strongest)]
    for k, c, c2 in itertools.product(KS, CS, C2S):
        out.append((f"k={k:g},c={c:g},c2={c2:g}", confirmed(k, c, c2)))
    return out


Files = dict[tuple[str, str], Rows]


def evaluate(
    scorer: Any, corpora: dict[str, object], files: Files, rule: Rule
) -> dict[str, dict[str, Evaluation]]:
    params = replace(DetectorParams(), escalation=1.0)  # the rules as tried, before escalation
    scores: dict[str, dict[str, np.ndarray]] = {name: {} for name in corpora}
    for (corpus, rel), rows in files.items():
        raw = _raw(rows, rule(rows.ratios))
        scores[corpus][rel] = ensemble.suppress_repeats(raw, ALERT_THRESHOLD, params, rows.step)
    return {
        c: evaluate_by_category(scorer, corpora[c], scores[c], ALERT_THRESHOLD) for c in corpora
    }


def _gap(store: nab_loco.Store, name: str, corpus: str, category: str, refs: Any) -> float:
    raw: float = store[name][corpus][category].tallies["standard"].raw
    return raw - float(refs[corpus][category][0])


def _loco(say: Report, store: nab_loco.Store, refs: Any, constrained: bool) -> None:
    order = [(c, cat) for c, cats in store[DEFAULT].items() for cat in cats if cat != "ALL"]
    gaps = []
    for corpus, category in order:
        train = set(order) - {(corpus, category)}
        names = [
            n
            for n in store
            if not constrained or all(_gap(store, n, c, ct, refs) >= -5.0 for c, ct in train)
        ]
        chosen = max(names, key=lambda n: nab_loco.objective(store[n], train))
        gap = _gap(store, chosen, corpus, category, refs)
        gaps.append(gap)
        held = store[chosen][corpus][category].tallies
        say(
            f"  {f'{corpus}/{category}'[:40]:<40}{chosen:<36}"
            f"{held['standard'].raw:>8.2f}{held['reward_low_FP_rate'].raw:>8.2f}{gap:>8.2f}"
        )
    say(f"  held-out gap: mean {sum(gaps) / len(gaps):+.2f}, worst {min(gaps):+.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nab", type=Path, required=True)
    parser.add_argument("--cmd", type=Path, required=True)
    parser.add_argument("--scorer", type=Path, required=True)
    parser.add_argument("--margins", default="1.2,1.225,1.25,1.275,1.3,1.35,1.4")
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args(argv)
    say = Report()
    say("command: python " + shlex.join(["bench/nab_confirm.py", *(argv or sys.argv[1:])]))
    scorer = load_scorer(args.scorer)
    roots = {"nab": args.nab, "cmd": args.cmd}
    corpora = {name: load_corpus(scorer, root) for name, root in roots.items()}
    refs = {name: best_references(name) for name in roots}
    spy = _Spy()
    ensemble._strongest = spy  # type: ignore[assignment]
    store: nab_loco.Store = {}
    margins = sorted({*(float(m) for m in args.margins.split(",")), 1.3})
    header = ("configuration", "NAB Std", "lowFP", "CMD Std", "lowFP", "worst gap")
    for margin in margins:
        detector = Detector(replace(DetectorParams(), alert_margin=margin))
        files = {
            (name, path.relative_to(root / "data").as_posix()): component_rows(detector, spy, path)
            for name, root in roots.items()
            for path in data_files(root)
        }
        for rule_name, rule in rules():
            name = f"margin={margin:g},{rule_name}"
            store[name] = evaluate(scorer, corpora, files, rule)
    store = {DEFAULT: store[DEFAULT], **store}
    meets = []
    say(f"{header[0]:<36}{header[1]:>9}{header[2]:>7}{header[3]:>9}{header[4]:>7}{header[5]:>11}")
    for name, result in store.items():
        nab, cmd = (result[c]["ALL"].tallies for c in ("nab", "cmd"))
        totals = [t[p].normalised for t in (nab, cmd) for p in ("standard", "reward_low_FP_rate")]
        worst, where = min(
            (_gap(store, name, c, cat, refs), cat)
            for c in result
            for cat in result[c]
            if cat != "ALL"
        )
        line = (
            f"{name:<36}{totals[0]:>9.2f}{totals[1]:>7.2f}{totals[2]:>9.2f}{totals[3]:>7.2f}"
            f"{worst:>+11.2f} {where[:24]}"
        )
        say(line)
        targets = (74.0, 67.0, 40.0, 33.0)
        if all(v >= t for v, t in zip(totals, targets, strict=True)) and worst >= -5.0:
            meets.append(line)
    say(f"\nmeeting every target (of {len(store)} configurations): {len(meets)}")
    for line in meets:
        say(line)
    say("\nLOCO, best objective on the other 13 categories (raw Std, raw low-FP, gap):")
    _loco(say, store, refs, constrained=False)
    say("\nLOCO, only configurations keeping every training category within 5 points:")
    _loco(say, store, refs, constrained=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "confirm_report.txt").write_text("\n".join(say.lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
