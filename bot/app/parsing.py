"""The bot's intent parser, built the same way for the bot and for ``smartcloudops parse``.

Its own module, not part of :mod:`bot.app.services`, so ``parse`` builds exactly the bot's parser
without importing the composition root (the server, the stores and the adapters it wires):
it needs numpy, ``intents``, the shipped classifier weights and, when a policy is
configured, its custom action names.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from bot.core.ports import IntentParserPort

if TYPE_CHECKING:
    from bot.app.config import Settings

CONFIG_ENV = "SMARTCLOUDOPS_CONFIG"


def build_parser(settings: Settings | None = None) -> IntentParserPort:
    """The parser with the shipped classifier, the policy's custom action names (so
    "flush-cache payments" is a command) and the configured timezone (where "yesterday"
    is meant)."""
    from ml.intent_classifier import build_parser as build

    if settings is None:
        return build()
    actions = tuple(settings.policy.actions) if settings.file.policy else ()
    return build(actions=actions, timezone=settings.file.tz)


def build_configured_parser() -> IntentParserPort:
    """:func:`build_parser` for this deployment: with its config file's policy and timezone
    when ``SMARTCLOUDOPS_CONFIG`` is set. Without one the defaults apply (no custom actions,
    UTC), and the settings machinery (pydantic, YAML) is not even imported."""
    if not os.environ.get(CONFIG_ENV):
        return build_parser()
    from bot.app.config import load_settings

    return build_parser(load_settings())
