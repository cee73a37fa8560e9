"""The bounds on database calls: the ``database:`` section of the configuration file, kept
here, next to the engines and stores that enforce them. A plain dataclass, so the defaults
cost no pydantic at start-up; the allowed range of each value is checked where a file is
read (``bot.app.config_file``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatabaseTimeouts:
    """Bounds on every database call, in seconds (the ``database:`` section of the file).

    ``timeout_seconds`` bounds one store call as a whole, whatever the database does, even
    when it hangs; a remediation that cannot be recorded within it is refused and never
    runs later. The others bound the driver's steps: opening a connection, one statement
    (enforced by PostgreSQL, or SQLite's busy wait), waiting for a free pooled connection.
    """

    timeout_seconds: float = 5.0
    connect_timeout_seconds: float = 5.0
    statement_timeout_seconds: float = 5.0
    pool_timeout_seconds: float = 5.0
