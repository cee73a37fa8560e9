"""Capturing the log as ``serve`` writes it: JSON lines through the bot's own filter and
formatter, from every logger, into memory."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

from bot.app.logs import CorrelationFilter, JsonFormatter


class CapturedLog:
    """A handler writing formatted lines into memory."""

    def __init__(self, formatter: logging.Formatter | None = None) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.addFilter(CorrelationFilter())
        self.handler.setFormatter(formatter or JsonFormatter())

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def entries(self) -> list[dict[str, Any]]:
        """Every line, parsed as JSON (a line that is not JSON fails the test)."""
        return [json.loads(line) for line in self.lines()]


@contextlib.contextmanager
def json_log(level: int = logging.INFO) -> Iterator[CapturedLog]:
    """The root logger's records at ``level`` and above as JSON lines, for the block."""
    captured = CapturedLog()
    root = logging.getLogger()
    before = root.level
    root.addHandler(captured.handler)
    root.setLevel(level)
    try:
        yield captured
    finally:
        root.removeHandler(captured.handler)
        root.setLevel(before)
