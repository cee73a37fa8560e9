"""The process's log: one line per event on stderr, as JSON (for log collectors) or as text
(for a person at a terminal), each line carrying the correlation id of the turn it belongs
to (:mod:`bot.core.correlation`).

``log_format`` in the config file picks the form: ``json``, ``text``, or ``auto`` (the
default): JSON for ``serve``, text for every other command (``chat`` is a conversation, not a
server log).

A JSON line is one object: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
``correlation_id`` (null outside a turn), the fields a call passed with ``extra=`` (the
access log's ``method``, ``path``, ``status``, ``latency_ms``) and, when an exception was
logged, ``exception`` with its traceback. Newlines inside values are escaped, so an event is
always exactly one line.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Literal, TextIO

from bot.core.correlation import current_correlation_id

LogFormat = Literal["auto", "json", "text"]
HANDLER_NAME = "smartcloudops"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(ref)s: %(message)s"

#: Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "correlation_id",
    "ref",
}


#: ``json.dumps(entry, default=str)``, without building an encoder for every line.
_ENCODE = json.JSONEncoder(default=str).encode


class CorrelationFilter(logging.Filter):
    """Stamps each record with the current turn's correlation id (at emit time, in the
    turn's own context), unless the call gave one with ``extra=``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "correlation_id", None) is None:
            record.correlation_id = current_correlation_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None),
        }
        entry.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_")
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _ENCODE(entry)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger [id]: message``, the id shown only inside a turn."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        correlation_id = getattr(record, "correlation_id", None)
        record.ref = f" [{correlation_id}]" if correlation_id else ""
        return super().format(record)


def resolve_format(log_format: LogFormat, command: str) -> Literal["json", "text"]:
    """The form the log of ``command`` takes: ``auto`` is JSON for ``serve`` only."""
    if log_format == "auto":
        return "json" if command == "serve" else "text"
    return log_format


def configure_logging(
    log_format: Literal["json", "text"], level: int | str, stream: TextIO | None = None
) -> logging.Handler:
    """Send the root logger's records at ``level`` and above to ``stream`` (stderr) in
    ``log_format``. Calling it again replaces the handler it installed (the form can only be
    known once the configuration is read); handlers someone else installed are left alone."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(CorrelationFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    return handler
