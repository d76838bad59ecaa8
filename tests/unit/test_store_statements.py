"""The compiled statements read and write exactly what Rasa's SQLTrackerStore reads and writes (SQLite here;
the e2e tests run the same store on PostgreSQL)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from bot.privacy.store_statements import COLUMNS, StoreStatements


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
    statements.insert(rows[:1])  # one statement, in autocommit
    statements.insert(rows[1:])  # 40 rows: 32 in one statement, then 8, in one transaction
    with rasas.session_scope() as session:
        session.execute(rasas.SQLEvent.__table__.insert(), rows)
        session.commit()
    columns = [getattr(SQLTrackerStore.SQLEvent, column) for column in ("id", *COLUMNS)]
    with ours.session_scope() as mine, rasas.session_scope() as theirs:
        assert mine.query(*columns).order_by("id").all() == theirs.query(*columns).order_by("id").all()
        for sender in ("pupil-a", "pupil-b", "pupil-c", "nobody"):
            expected = [row.data for row in rasas._event_query(theirs, sender, False)]
            assert statements.latest_session(sender) == expected
    latest = [json.loads(data)["n"] for data in statements.latest_session("pupil-b")]
    assert latest == [37, 38, 39, 40]  # from the last session start on, in order; not pupil-a's, not older sessions


@pytest.mark.parametrize("size", [1, 33])
def test_a_write_is_all_or_nothing_whether_it_takes_one_statement_or_several(tmp_path, size):
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "store.db"))
    statements = StoreStatements(store.engine, store.SQLEvent.__table__)
    rows = [_row("pupil-a", "user", 1000.0 + n, n) for n in range(size)]
    rows[-1]["sender_id"] = None  # the last row breaks a NOT NULL column, in the only or the second statement
    with pytest.raises(sa.exc.IntegrityError):
        statements.insert(rows)
    assert statements.latest_session("pupil-a") == []
    statements.insert(rows[:-1] + [_row("pupil-a", "user", 2000.0, 99)])
    assert len(statements.latest_session("pupil-a")) == size
