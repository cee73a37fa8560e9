"""The parser's one port: a free-text classifier, injected so this package never imports
scikit-learn (the bot's lives in ``ml/intent_classifier.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class TextClassifier(Protocol):
    """Free-text intent classifier (scikit-learn lives behind this, in ``ml/``)."""

    def predict(self, text: str) -> Sequence[tuple[str, float]]:
        """Labels with probabilities, most likely first."""
        ...
