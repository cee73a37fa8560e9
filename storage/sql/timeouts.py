"""The bounds on database calls: the ``database:`` section of the configuration file,
defined here, next to the engines and stores that enforce them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DatabaseTimeouts(BaseModel):
    """Bounds on every database call, in seconds (the ``database:`` section of the file).

    ``timeout_seconds`` bounds one store call as a whole, whatever the database does, even
    when it hangs; a remediation that cannot be recorded within it is refused and never
    runs later. The others bound the driver's steps: opening a connection, one statement
    (enforced by PostgreSQL, or SQLite's busy wait), waiting for a free pooled connection.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    connect_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    statement_timeout_seconds: float = Field(default=5.0, gt=0, le=3600)
    pool_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
