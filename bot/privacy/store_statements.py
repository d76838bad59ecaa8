"""The tracker store's two statements on every turn, compiled once for its database instead of on every use.

Rasa builds its read query with the ORM on every turn, and SQLAlchemy then works out a cache key for it and for
each insert: together about a sixth of a Rasa server's CPU under load. The statements here are the same SQL
(Rasa's query for the latest conversation session, reading the data column; one insert for a turn's events),
compiled once and run through the engine's own connections, so pooling and errors are as before.

A turn's read is one statement, and so is its write unless it has more than 32 events. A single statement is run
in autocommit: it is atomic on its own, and PostgreSQL is spared the BEGIN, COMMIT and the pool's ROLLBACK, two
round trips of the four a turn took. A write of several statements is one transaction, as before.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import sqlalchemy as sa
from rasa.shared.core.events import SessionStarted

__all__ = ["StoreStatements"]

COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")
_MAX_ROWS_PER_INSERT = 32


class StoreStatements:
    """Compiled SQL for Rasa's events table on one engine (PostgreSQL, SQLite, ...)."""

    def __init__(self, engine: sa.engine.Engine, events: sa.Table):
        self.engine = engine
        self.events = events
        self._single_statements = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._latest_session = _Compiled(engine, _latest_session_query(events))
        self._inserts: Dict[int, _Compiled] = {}

    def latest_session(self, sender_id: str) -> List[str]:
        """The stored data of the sender's events since its latest session start (all, if none), in order."""
        with self._single_statements.connect() as connection:
            return [row[0] for row in self._latest_session.run(connection, {"sender": sender_id})]

    def insert(self, rows: Sequence[Dict[str, Any]]) -> None:
        """Append rows (dicts of COLUMNS) all or none, in as few statements as there are chunks of up to 32."""
        chunks = [rows[first : first + _MAX_ROWS_PER_INSERT] for first in range(0, len(rows), _MAX_ROWS_PER_INSERT)]
        engine = self._single_statements if len(chunks) <= 1 else self.engine
        with engine.begin() as connection:
            for chunk in chunks:
                statement = self._inserts.get(len(chunk))
                if statement is None:
                    statement = self._inserts[len(chunk)] = _Compiled(self.engine, _insert(self.events, len(chunk)))
                values = {f"{column}_{i}": row[column] for i, row in enumerate(chunk) for column in COLUMNS}
                statement.run(connection, values)


class _Compiled:
    """One statement compiled for an engine's dialect, run with values for its named parameters."""

    def __init__(self, engine: sa.engine.Engine, statement: Any):
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self._defaults = dict(compiled.params)  # literal values, such as the session start event's type name
        self._order: Tuple[str, ...] = tuple(compiled.positiontup) if compiled.positional else ()

    def run(self, connection: sa.engine.Connection, values: Dict[str, Any]) -> Any:
        params = {**self._defaults, **values}
        if self._order:
            return connection.exec_driver_sql(self.sql, tuple(params[name] for name in self._order))
        return connection.exec_driver_sql(self.sql, params)


def _latest_session_query(events: sa.Table) -> Any:
    """Rasa's SQLTrackerStore._event_query for the latest session, selecting only the data column."""
    start = (
        sa.select(sa.func.max(events.c.timestamp).label("session_start"))
        .where(events.c.sender_id == sa.bindparam("sender"), events.c.type_name == SessionStarted.type_name)
        .subquery()
    )
    return (
        sa.select(events.c.data)
        .where(
            events.c.sender_id == sa.bindparam("sender"),
            sa.or_(events.c.timestamp >= start.c.session_start, start.c.session_start.is_(None)),
        )
        .order_by(events.c.id)
    )


def _insert(events: sa.Table, n_rows: int) -> Any:
    return events.insert().values(
        [{column: sa.bindparam(f"{column}_{i}") for column in COLUMNS} for i in range(n_rows)]
    )
