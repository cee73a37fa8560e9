"""Exploration behind ``escalation`` (issue 13, low-FP): flap rules scored on NAB DEV and CMD.

    python bench/nab_escalation.py --nab NAB_ROOT --cmd CMD_ROOT --scorer PATH/nab_score.py
        [--out DIR]

Rules compared, all applied when repeats are suppressed (the component ratios do not
change, so every file is scored once per ``alert_margin`` / ``rearm_ratio`` and the rules
are applied afterwards):

* ``esc b hl``: the shipped rule (``DetectorParams.escalation`` = b,
  ``escalation_half_life_seconds`` = hl hours): a re-armed alert ``dt`` after the previous
  one needs ratio ``1 + (b - 1) / 2 ** (dt / hl)``; computed by ``suppress_repeats`` itself;
* ``lin b d``: the same bar decaying linearly to 1 over ``d`` hours;
* ``driver b hl``: the bar only when the row's strongest component is the one that drove the
  previous alert ("similar surprises" = the same lens);
* ``per b hl``: a bar per component, from the last alert that component took part in;
* ``union q m``: no rule, but the calibration quantile corrected for the number of lenses
  (``calibration_quantile`` q, e.g. 1 - 0.002 / 5), with ``alert_margin`` m (rescored).

Prints the totals (normalised Standard / Reward-low-FP of both corpora), the worst raw
Standard gap of any category to the best reference detector, the (b, hl) map of the shipped
rule at the default margin, and leave-one-category-out results over several grids: the
alerting knobs of ``nab_loco.GRID`` (margin, rearm ratio, rearm seconds) with one or both
of the rule's knobs. The report is also written to ``<out>/escalation_report.txt``; takes
about 5 minutes on one process.
"""

from __future__ import annotations

import argparse
import itertools
import math
import shlex
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import nab_confirm
import nab_loco
import numpy as np
from nab_bench import Report, best_references
from nab_corpus import data_files, evaluate_by_category, load_corpus, load_scorer

import ml.anomaly.ensemble as ensemble
from ml.anomaly import ALERT_THRESHOLD, Detector, DetectorParams

HOUR = 3600.0
BARS = (1.1, 1.15, 1.2, 1.25, 1.3)
HALF_LIVES = (24, 48, 72, 96, 168)
Files = nab_confirm.Files
Rule = Callable[[nab_confirm.Rows, DetectorParams], np.ndarray]
OFF = replace(DetectorParams(), escalation=1.0)


def collect(roots: dict[str, Path], params: DetectorParams) -> Files:
    """Per file the component ratios of ``score_online`` (see ``nab_confirm.py``)."""
    spy = nab_confirm._Spy()
    inner = ensemble._strongest
    ensemble._strongest = spy  # type: ignore[assignment]
    try:
        detector = Detector(params)
        return {
            (name, path.relative_to(root / "data").as_posix()): nab_confirm.component_rows(
                detector, spy, path
            )
            for name, root in roots.items()
            for path in data_files(root)
        }
    finally:
        ensemble._strongest = inner


def shipped(rows: nab_confirm.Rows, params: DetectorParams) -> np.ndarray:
    raw = nab_confirm._raw(rows, rows.ratios.max(axis=0))
    return ensemble.suppress_repeats(raw, ALERT_THRESHOLD, params, rows.step)


def lens_rule(bar0: float, half_life: float, mode: str) -> Rule:
    """``lin``, ``driver`` or ``per`` of the module docstring."""

    def rule(rows: nab_confirm.Rows, params: DetectorParams) -> np.ndarray:
        ratios = np.where(rows.finite, rows.ratios, 0.0)
        r = ratios.max(axis=0)
        driver = ratios.argmax(axis=0)
        scores = nab_confirm._raw(rows, r)
        out = scores.copy()
        calm = ensemble._run_lengths(scores < params.rearm_ratio / (1.0 + params.rearm_ratio))
        quiet = max(1, math.ceil(params.rearm_seconds / rows.step)) if rows.step > 0 else 1
        ends = np.nonzero(calm >= quiet)[0].tolist()
        last: int | None = None
        last_by: dict[int, int] = {}

        def bar(i: int, j: int) -> float:
            dt = (i - j) * rows.step
            if mode == "lin":
                return 1.0 + (bar0 - 1.0) * max(0.0, 1.0 - dt / half_life)
            return 1.0 + (bar0 - 1.0) * 0.5 ** (dt / half_life)

        for i in np.nonzero(scores >= ALERT_THRESHOLD)[0].tolist():
            if last is not None and not ensemble._rearmed(
                ends, last, i, params.refractory_rows, quiet
            ):
                ok = False
            elif last is None:
                ok = True
            elif mode == "per":
                ok = any(
                    ratios[c, i] >= 1.0 and (c not in last_by or ratios[c, i] >= bar(i, last_by[c]))
                    for c in range(ratios.shape[0])
                )
            elif mode == "driver" and driver[i] != driver[last]:
                ok = True
            else:
                ok = bool(r[i] >= bar(i, last))
            if ok:
                last = i
                last_by.update({c: i for c in range(ratios.shape[0]) if ratios[c, i] >= 1.0})
            else:
                out[i] = min(out[i], ALERT_THRESHOLD - ensemble.SCORE_RESOLUTION)
        return out

    return rule


class Bench:
    """Both corpora, their scorer and references; evaluates rules on collected ratios."""

    def __init__(self, roots: dict[str, Path], scorer_path: Path) -> None:
        self.roots = roots
        self.scorer = load_scorer(scorer_path)
        self.corpora = {name: load_corpus(self.scorer, root) for name, root in roots.items()}
        self.refs = {name: best_references(name) for name in roots}

    def evaluate(self, files: Files, rule: Rule, params: DetectorParams) -> Any:
        scores: dict[str, dict[str, np.ndarray]] = {name: {} for name in self.roots}
        for (corpus, rel), rows in files.items():
            scores[corpus][rel] = rule(rows, params)
        return {
            c: evaluate_by_category(self.scorer, self.corpora[c], scores[c], ALERT_THRESHOLD)
            for c in self.roots
        }

    def gap(self, result: Any, corpus: str, category: str) -> float:
        raw: float = result[corpus][category].tallies["standard"].raw
        return raw - float(self.refs[corpus][category][0])

    def line(self, name: str, result: Any) -> tuple[str, bool]:
        totals = [
            result[c]["ALL"].tallies[p].normalised
            for c in ("nab", "cmd")
            for p in ("standard", "reward_low_FP_rate")
        ]
        worst, where = min(
            (self.gap(result, c, cat), cat) for c in result for cat in result[c] if cat != "ALL"
        )
        targets = (74.0, 67.0, 40.0, 33.0)
        meets = all(v >= t for v, t in zip(totals, targets, strict=True)) and worst >= -5.0
        text = (
            f"{name:<34}{totals[0]:>8.2f}{totals[1]:>7.2f}{totals[2]:>8.2f}{totals[3]:>7.2f}"
            f"{worst:>+8.2f} {where[:26]:<26} FP {result['nab']['ALL'].fp_rows:>3}"
            f"/{result['cmd']['ALL'].fp_rows:<3} hit {result['nab']['ALL'].hits}"
            f"/{result['cmd']['ALL'].hits}"
        )
        return text + ("  meets all" if meets else ""), meets


def loco(say: Report, bench: Bench, store: nab_loco.Store, names: list[str], label: str) -> None:
    """Plain LOCO (``nab_loco``'s objective) over the configurations ``names``."""
    first = store[names[0]]
    order = [(c, cat) for c, cats in first.items() for cat in cats if cat != "ALL"]
    picks = []
    for corpus, category in order:
        train = set(order) - {(corpus, category)}
        chosen = max(names, key=lambda n: nab_loco.objective(store[n], train))
        picks.append((bench.gap(store[chosen], corpus, category), category, chosen))
    worst = min(picks)
    mean = sum(p[0] for p in picks) / len(picks)
    everything = max(names, key=lambda n: nab_loco.objective(store[n], set(order)))
    common = Counter(p[2] for p in picks).most_common(2)
    say(
        f"  {label} ({len(names)} configurations): held-out gap mean {mean:+.2f}, worst "
        f"{worst[0]:+.2f} ({worst[1]}, via {worst[2]}); all 14 choose {everything}; "
        f"most chosen {common}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nab", type=Path, required=True)
    parser.add_argument("--cmd", type=Path, required=True)
    parser.add_argument("--scorer", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args(argv)
    say = Report()
    say("command: python " + shlex.join(["bench/nab_escalation.py", *(argv or sys.argv[1:])]))
    bench = Bench({"nab": args.nab, "cmd": args.cmd}, args.scorer)
    header = f"{'rule':<34}{'NAB Std':>8}{'lowFP':>7}{'CMD Std':>8}{'lowFP':>7}{'worst':>8}"
    store: nab_loco.Store = {}
    grid = nab_loco.GRID
    for margin, rearm_ratio in itertools.product(grid["alert_margin"], grid["rearm_ratio"]):
        base = replace(OFF, alert_margin=margin, rearm_ratio=rearm_ratio)
        files = collect(bench.roots, base)
        for seconds in grid["rearm_seconds"]:
            knobs = f"m={margin:g},rr={rearm_ratio:g},rs={seconds:g}"
            params = replace(base, rearm_seconds=seconds)
            store[f"{knobs},off"] = bench.evaluate(files, shipped, params)
            for bar, hours in itertools.product(BARS, HALF_LIVES):
                esc = replace(params, escalation=bar, escalation_half_life_seconds=hours * HOUR)
                store[f"{knobs},esc {bar:g} {hours}"] = bench.evaluate(files, shipped, esc)
        if (margin, rearm_ratio) != (1.3, 0.5):
            continue
        say("\nOther flap rules at the default margin and re-arm (alert_margin 1.3):")
        say(header)
        say(bench.line("off (v3 before escalation)", store["m=1.3,rr=0.5,rs=3600,off"])[0])
        for mode, bars, spans in (
            ("lin", (1.2, 1.5, 2.0), (24, 48, 168)),
            ("driver", (1.2, 1.3, 1.5, 2.0), (24, 48, 72)),
            ("per", (1.2, 1.3, 1.5, 2.0), (24, 48, 72)),
        ):
            for bar, hours in itertools.product(bars, spans):
                result = bench.evaluate(files, lens_rule(bar, hours * HOUR, mode), base)
                say(bench.line(f"{mode} {bar:g} {hours}", result)[0])
    say("\nUnion-corrected calibration quantile, no escalation:")
    say(header)
    for q, margin in itertools.product((0.998, 0.9995, 1 - 0.002 / 3, 0.9996), (1.0, 1.2, 1.3)):
        params = replace(OFF, calibration_quantile=q, alert_margin=margin)
        result = bench.evaluate(collect(bench.roots, params), shipped, params)
        say(bench.line(f"union q={q:.5f} m={margin:g}", result)[0])
    say("\nThe shipped rule (esc b hl) at margin 1.3, rearm 0.5 / 3600 s:")
    say(header)
    for name, result in store.items():
        if name.startswith("m=1.3,rr=0.5,rs=3600,"):
            say(bench.line(name.split(",")[-1], result)[0])
    say("\nLeave-one-category-out over grids of the re-arm knobs and the rule's:")
    names = list(store)

    def pick(margins: str, rule: str) -> list[str]:
        chosen = [n for n in names if n.split(",")[0] in margins.split("|")]
        return [n for n in chosen if rule == "*" or n.split(",")[-1] in rule.split("|")]

    esc = [f"esc {b:g} {h}" for b, h in itertools.product(BARS, HALF_LIVES)]
    defaults = "|".join(f"m={m:g}" for m in grid["alert_margin"])
    loco(say, bench, store, pick(defaults, "off"), "margin x rearm, no rule (v3 before)")
    loco(say, bench, store, pick(defaults, "esc 1.2 72"), "margin x rearm, rule at 1.2 / 72 h")
    loco(say, bench, store, pick("m=1.3", "*"), "rearm x b x hl at margin 1.3")
    loco(say, bench, store, pick(defaults, "*"), "margin x rearm x b x hl (both knobs)")
    one_b = "|".join(e for e in esc if e.endswith(" 72"))
    one_hl = "|".join(e for e in esc if e.startswith("esc 1.2 "))
    loco(say, bench, store, pick(defaults, one_b), "margin x rearm x b, hl = 72 h")
    loco(say, bench, store, pick(defaults, one_hl), "margin x rearm x hl, b = 1.2")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "escalation_report.txt").write_text("\n".join(say.lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
