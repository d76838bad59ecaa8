"""The compiled statements read and write exactly what Rasa's SQLTrackerStore reads and writes (SQLite here;
the e2e tests run the same store on PostgreSQL)."""

from __future__ import annotations

import json

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from bot.store_statements import COLUMNS, StoreStatements


def _row(sender, type_name, timestamp, n):
    return {
        "sender_id": sender,
        "type_name": type_name,
        "timestamp": timestamp,
        "intent_name": None,
        "action_name": None,
        "data": json.dumps({"event": type_name, "n": n}),
    }


def _conversations():
    rows, n = [], 0
    for sender in ("pupil-a", "pupil-b"):
        for session in range(4):
            for kind in ("action", "session_started", "user", "bot", "action"):
                n += 1
                rows.append(_row(sender, kind, 1000.0 + 10 * session + n / 100, n))
    rows.append(_row("pupil-c", "user", 2000.0, 99))  # a conversation without a session start
    return rows


def test_a_turns_rows_go_in_as_rasas_insert_puts_them_and_the_latest_session_reads_back_as_rasas(tmp_path):
    ours = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "ours.db"))
    rasas = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "rasa.db"))
    statements = StoreStatements(ours.engine, ours.SQLEvent.__table__)
    rows = _conversations()
    with ours.engine.begin() as connection:
        statements.insert(connection, rows[:1])
        statements.insert(connection, rows[1:])  # 40 rows: 32 in one statement, then 8
    with rasas.session_scope() as session:
        session.execute(rasas.SQLEvent.__table__.insert(), rows)
        session.commit()
    columns = [getattr(SQLTrackerStore.SQLEvent, column) for column in ("id", *COLUMNS)]
    with ours.session_scope() as mine, rasas.session_scope() as theirs:
        assert mine.query(*columns).order_by("id").all() == theirs.query(*columns).order_by("id").all()
        for sender in ("pupil-a", "pupil-b", "pupil-c", "nobody"):
            expected = [row.data for row in rasas._event_query(theirs, sender, False)]
            with ours.engine.connect() as connection:
                assert statements.latest_session(connection, sender) == expected
    with ours.engine.connect() as connection:
        latest = [json.loads(data)["n"] for data in statements.latest_session(connection, "pupil-b")]
    assert latest == [37, 38, 39, 40]  # from the last session start on, in order; not pupil-a's, not older sessions
