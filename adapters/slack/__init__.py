"""Slack adapter (Bolt for Python, asyncio): slash commands, mentions, direct messages,
buttons and charts, in HTTP mode on ``POST /slack/events`` and in Socket Mode.

Modules: :mod:`.inbound` (payload -> ``IncomingMessage``, pure), :mod:`.render` (``Reply`` ->
Block Kit, pure), :mod:`.escape` (escaping and Slack's size limits), :mod:`.outbound` (Web API
and ``response_url`` calls), :mod:`.adapter` (the Bolt listeners), :mod:`.http` (``POST
/slack/events``, signature first), :mod:`.authorize` (one shared ``auth.test``),
:mod:`.redact` (no secrets in logs) and :mod:`.wiring` (built from the settings by the
composition root).
"""
