"""The parser's port: a free-text classifier, injected so this package never imports
scikit-learn (the bot's lives in ``ml/intent_classifier.py``); one that can also rank the
parser's own reading of the message (:class:`ViewClassifier`) is handed that."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


class TextClassifier(Protocol):
    """Free-text intent classifier (scikit-learn lives behind this, in ``ml/``)."""

    def predict(self, text: str) -> Sequence[tuple[str, float]]:
        """Labels with probabilities, most likely first."""
        ...


@runtime_checkable
class ViewClassifier(TextClassifier, Protocol):
    """A classifier that can rank the placeholder view of a message
    (:func:`intents.features.view_of`) that the parser has already read, instead of reading
    the text again: ``predict(text)`` must equal ``predict_view(classifier_view(text))``."""

    def predict_view(self, view: str) -> Sequence[tuple[str, float]]:
        """Labels with probabilities for the message whose view is ``view``, most likely
        first."""
        ...
