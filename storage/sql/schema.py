"""Every table the migrations make, on one ``MetaData``.

The tables are declared in three modules (:mod:`storage.sql.models` for remediation,
:mod:`storage.sql.alerts`, :mod:`storage.sql.slack`) on one declarative ``Base``; a table is on
``Base.metadata`` only once its module has been imported. Anything that needs the whole schema
(Alembic's environment, a check that the migrations make exactly the models) asks here, so the
answer does not depend on what happened to be imported before.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from storage.sql import alerts, slack  # noqa: F401 - imported for their tables on Base.metadata
from storage.sql.models import Base


def every_table() -> MetaData:
    """The metadata of every table the head revision has."""
    return Base.metadata
