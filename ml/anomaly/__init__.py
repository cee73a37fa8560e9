"""Anomaly detection engine: causal scoring, explanations, caching and the bot-facing service.

Main entry points:

* :class:`Detector` - ``fit`` / ``score`` with a cached :class:`FittedState` (``extend``
  scores only rows appended since), or ``score_online`` for fully causal one-shot scoring;
* :class:`ScoreMemo` - remembers scored rows per series so repeated questions are cheap;
* :data:`ALERT_THRESHOLD` - the fixed score at which the bot alerts and ``detect`` flags a row;
* :class:`AnomalyService` and :func:`moved_together` - what chat handlers use;
* :func:`ml.anomaly.detect_cli.run_detect` - the ``smartcloudops detect`` command.
"""

from ml.anomaly.cache import StateCache
from ml.anomaly.detector import Detector
from ml.anomaly.explain import AnomalySpan, find_spans
from ml.anomaly.memo import ScoreMemo
from ml.anomaly.model import (
    ALERT_THRESHOLD,
    COMPONENTS,
    DETECTOR_NAME,
    DETECTOR_VERSION,
    DetectorParams,
    FittedState,
    ScoredSeries,
)
from ml.anomaly.service import AnomalyService, moved_together

__all__ = [
    "ALERT_THRESHOLD",
    "COMPONENTS",
    "DETECTOR_NAME",
    "DETECTOR_VERSION",
    "AnomalyService",
    "AnomalySpan",
    "Detector",
    "DetectorParams",
    "FittedState",
    "ScoreMemo",
    "ScoredSeries",
    "StateCache",
    "find_spans",
    "moved_together",
]
