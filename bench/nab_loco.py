"""Leave-one-category-out (LOCO) check of how the detector's knobs were chosen.

The categories of both corpora form one pool (5 NAB DEV + 9 CMD = 14). For each held-out
category, the configuration of :data:`GRID` with the best objective on the *other* 13 is
chosen, and the held-out category is scored with it. If the knobs generalise, the chosen
configuration barely moves between folds and the held-out scores stay near the ones at the
defaults; a knob that only helps the category it was tuned on shows up as a held-out loss.

Objective on a set of categories: the mean of four normalised scores - NAB Standard, NAB
Reward-low-FP, CMD Standard, CMD Reward-low-FP - each over that set's categories of its
corpus (the low-FN profile is left out: it rewards firing more, the bot's readers pay for
false alarms). Ties go to the first configuration, which is the default one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from nab_corpus import Evaluation, Tally, evaluate_by_category, score_corpora

from ml.anomaly import DetectorParams

# The knobs that decide when a surprise becomes an alert; the default value comes first.
GRID: dict[str, tuple[float, ...]] = {
    "alert_margin": (1.3, 1.2, 1.4),
    "rearm_ratio": (0.5, 0.3, 0.7),
    "rearm_seconds": (3600, 1800, 7200),
    "escalation": (1.2, 1.1, 1.3),
}
OBJECTIVE_PROFILES = ("standard", "reward_low_FP_rate")
Store = dict[str, dict[str, dict[str, Evaluation]]]  # config -> corpus -> category -> eval


@dataclass(frozen=True)
class Fold:
    """One held-out category: the configuration chosen without it and its raw Standard."""

    corpus: str
    category: str
    chosen: str
    raw: float
    raw_at_defaults: float


def configurations() -> list[tuple[str, DetectorParams]]:
    """Every combination of :data:`GRID`, named ``knob=value,...``; defaults first."""
    out = []
    for values in itertools.product(*GRID.values()):
        changes = dict(zip(GRID, values, strict=True))
        name = ",".join(f"{k}={v:g}" for k, v in changes.items())
        out.append((name, DetectorParams.from_dict({**DetectorParams().to_dict(), **changes})))
    return out


def run_grid(
    scorer: ModuleType,
    roots: dict[str, Path],
    corpora: dict[str, object],
    threshold: float,
    procs: int,
    say: Callable[[str], None] = print,
) -> Store:
    """Per-category evaluations of every configuration (the scoring is the slow part)."""
    store: Store = {}
    for name, params in configurations():
        scores = score_corpora(roots, params, procs)
        store[name] = {
            c: evaluate_by_category(
                scorer, corpora[c], {rel: s for (k, rel), s in scores.items() if k == c}, threshold
            )
            for c in roots
        }
        totals = "  ".join(
            f"{c.upper()} {e['ALL'].tallies['standard'].normalised:.2f}"
            f"/{e['ALL'].tallies['reward_low_FP_rate'].normalised:.2f}"
            for c, e in store[name].items()
        )
        say(f"  grid {name}: {totals} (Standard/low-FP)")
    return store


def objective(by_corpus: dict[str, dict[str, Evaluation]], keep: set[tuple[str, str]]) -> float:
    """Mean normalised Standard and low-FP of each corpus over the kept categories."""
    values = []
    for corpus, cats in by_corpus.items():
        chosen = [e for cat, e in cats.items() if (corpus, cat) in keep]
        for profile in OBJECTIVE_PROFILES:
            total = sum((e.tallies[profile] for e in chosen), Tally(0.0, 0.0, 0.0))
            values.append(total.normalised)
    return sum(values) / len(values)


def loco(store: Store) -> list[Fold]:
    """One :class:`Fold` per category of either corpus."""
    default = next(iter(store))
    order = [(c, cat) for c, cats in store[default].items() for cat in cats if cat != "ALL"]
    folds = []
    for corpus, cat in order:
        train = set(order) - {(corpus, cat)}
        chosen = max(store, key=lambda name: objective(store[name], train))
        folds.append(
            Fold(
                corpus,
                cat,
                chosen,
                store[chosen][corpus][cat].tallies["standard"].raw,
                store[default][corpus][cat].tallies["standard"].raw,
            )
        )
    return folds
