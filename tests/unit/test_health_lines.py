"""The health summary's "Unusual:" line reads like the anomaly answers: one unit, and never a
normal band below zero for a quantity that cannot be negative."""

from __future__ import annotations

from bot.features.anomaly.ports import Finding
from bot.features.health.handler import _unusual_line

NOW = 1_764_806_400.0  # 2025-12-04 00:00 UTC


def _finding(low: float, high: float) -> Finding:
    return Finding(
        series="payments/latency", metric="latency", target="payments",
        start=NOW - 1800, end=NOW, ongoing=True, peak_score=9.0, peak_value=0.404,
        expected_low=low, expected_high=high, deviation=6.0, explanation="",
    )  # fmt: skip


def test_a_fitted_band_below_zero_is_shown_from_zero() -> None:
    line = _unusual_line([_finding(-0.0285, 0.306)], NOW)
    assert "vs normal 0-306 ms" in line
    assert "-28.5" not in line


def test_the_band_names_its_unit_once() -> None:
    assert "vs normal 128-155 ms" in _unusual_line([_finding(0.128, 0.155)], NOW)
