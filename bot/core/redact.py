"""Keeping credentials out of logs, errors and replies."""

from __future__ import annotations

import urllib.parse


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for logs, errors and ``repr``)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username or ''}:***@{host}").geturl()
