"""The bot's intent parser: the shipped classifier's parser behind the chat-command routes.

Its own module, not part of :mod:`bot.app`, so ``smartcloudops parse`` builds exactly the bot's
parser without importing the composition root (the server, the stores and the adapters it
wires); it needs numpy, ``intents`` and the two route modules only.
"""

from __future__ import annotations

from bot.alerts.route import AlertRoute
from bot.ports import IntentParserPort
from bot.remediation.history import HistoryRoute


def build_parser() -> IntentParserPort:
    """The intent parser the bot uses (the classifier injected from ``ml``)."""
    from ml.intent_classifier import build_parser as build

    return AlertRoute(HistoryRoute(build()))
