"""Keeping Slack credentials out of the logs.

Bolt logs a rejected request's whole body (with the legacy verification ``token`` and the
``response_url``, a 30-minute credential to post in that channel); at debug level the SDKs log
request bodies, ``response_url``s (``https://hooks.slack.com/commands/…``, ``/actions/…``) and
Socket Mode URLs (``ticket=``); in OAuth mode, Bolt's flow logs a failed install's one-time
``code`` (and a ``client_secret`` is masked too, should anything log one). The adapter gives
Bolt and the SDK clients a logger carrying :class:`SecretRedactor`, which Bolt copies onto
every logger it creates.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

_SECRETS = re.compile(
    r"xox[a-z]-[A-Za-z0-9-]+"
    r"|xapp-[A-Za-z0-9-]+"
    r"|(?<=token=)[^&\s'\"]+"
    r"|(?<=response_url=)[^&\s'\"]+"
    r"|(?<=ticket=)[^&\s'\"]+"
    r"|(?<=code=)[^&\s'\"]+"
    r"|(?<=with code: )[^\s'\"]+"
    r"|(?<=client_secret=)[^&\s'\"]+"
    r"|(?<=[\"']client_secret[\"']: [\"'])[^\"']+"
    r"|(?<=[\"']code[\"']: [\"'])[^\"']+"
    r"|(?<=/commands/)[^\s'\",]+"
    r"|(?<=/actions/)[^\s'\",]+"
    r"|(?<=[\"']token[\"']: [\"'])[^\"']+"
    r"|(?<=[\"']response_url[\"']: [\"'])[^\"']+"
    r"|(?<=[\"']token[\"']:[\"'])[^\"']+"
    r"|(?<=[\"']response_url[\"']:[\"'])[^\"']+"
)


def redact(text: str) -> str:
    """``text`` with Slack tokens, ``response_url``s and Socket Mode tickets replaced."""
    return _SECRETS.sub(REDACTED, text)


class SecretRedactor(logging.Filter):
    """A logging filter that rewrites each record's message through :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def redacting_logger(name: str) -> logging.Logger:
    """The logger ``name`` with a :class:`SecretRedactor` (added once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, SecretRedactor) for f in logger.filters):
        logger.addFilter(SecretRedactor())
    return logger
