"""Microsoft Teams, through the Bot Framework SDK (botbuilder 4.17, aiohttp integration).

Every import of ``botbuilder``/``botframework`` stays inside this package: that SDK is in
maintenance, and moving to the Microsoft 365 Agents SDK should touch this folder only.

- :mod:`.inbound`   activity -> ``IncomingMessage`` / button click (pure)
- :mod:`.render`    ``Reply`` -> Adaptive Card 1.5 JSON + plain-text line (pure)
- :mod:`.escape`    keeping user text from becoming mentions, markup or links
- :mod:`.bot`       the ``ActivityHandler``: references, text and clicks to the core's Responder
- :mod:`.outgoing`  replies and card updates in a turn's conversation; the two outboxes
- :mod:`.retry`     429/5xx backoff and SDK error translation
- :mod:`.references` conversation references for proactive posts (store port)
- :mod:`.poster`    ``ChannelPoster`` for alerts, via ``continue_conversation``
- :mod:`.endpoint`  ``POST /api/messages`` with authentication first
- :mod:`.signing_keys` the Bot Framework's token-signing keys: async, bounded, cached
- :mod:`.authentication` the SDK's token checks, routed to those keys
- :mod:`.config`    credentials check; :mod:`.wiring` the composition root's ``plugin``
"""
