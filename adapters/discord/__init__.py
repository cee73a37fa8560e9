"""The Discord adapter, on discord.py 2.x, running on the bot server's event loop.

Modules, outside in:

- :mod:`.wiring`   the composition-root hook: ``plugin(services, stack)`` starts the gateway
  with the aiohttp app, stops it on cleanup, and registers the :mod:`.poster`.
- :mod:`.options`  the adapter's settings (prefix, shard, timings), validated at start-up.
- :mod:`.gateway`  one replica holds each shard's gateway session (a Redis lease, see
  :mod:`.lease`); a standby takes over when the holder stops or dies.
- :mod:`.client`   the discord.py ``Client``: minimum intents, ``/ops`` with autocomplete,
  ``allowed_mentions`` that ping nobody; :mod:`.buttons` turns clicks back into commands.
- :mod:`.poster`   proactive posts (alerts) over REST, from any replica.
- :mod:`.chat`     one message, slash command or button click -> the core's Responder, with
  an outbox per kind that acknowledges, shows progress and renders the answer.
- :mod:`.inbound`  pure: a Discord message or interaction ->
:class:`bot.core.model.IncomingMessage`.
- :mod:`.render`   pure: a :class:`bot.core.model.Reply` -> embed, attachments and buttons.
- :mod:`.complete` pure: autocomplete suggestions for ``/ops``.
"""

from __future__ import annotations

import warnings

# discord.py's voice player imports the stdlib ``audioop``, deprecated since Python 3.11. Voice is
# never used here, so silence that one import-time warning rather than every caller's filters.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord as _discord  # noqa: F401
