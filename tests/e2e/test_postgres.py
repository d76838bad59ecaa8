"""The redacting tracker store, purge and forget against a real PostgreSQL server (tests/servers.py)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.servers import PostgresCluster
from tests.unit.test_privacy import (
    check_forget,
    check_nothing_planted_is_stored,
    check_purge,
    make_tracker,
    planted_events,
    planted_in,
    save,
)

ROOT = Path(__file__).resolve().parents[2]
DAY = 24 * 60 * 60


@pytest.fixture(scope="module")
def postgres():
    """A running private PostgreSQL cluster with one database."""
    cluster = PostgresCluster()
    try:
        yield cluster.start()
    finally:
        cluster.remove()


@pytest.fixture
def pg_store(postgres):
    from rasa.shared.core.domain import Domain

    from bot.privacy.tracker_store import RedactingTrackerStore

    store = RedactingTrackerStore(
        domain=Domain.empty(),
        dialect="postgresql",
        host=postgres.host,
        port=postgres.port,
        db=postgres.db,
        username=postgres.user,
        password=postgres.password,
    )
    yield store
    store.engine.dispose()


@pytest.fixture
def db_env(postgres, monkeypatch):
    """The DB_* variables deploy/endpoints.postgres.yml and the retention command read."""
    env = {**postgres.env(), "ACTION_SERVER_URL": "http://127.0.0.1:1"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("POSTGRESQL_SCHEMA", raising=False)
    return env


def test_the_store_really_talks_to_postgresql(pg_store):
    assert pg_store.engine.dialect.name == "postgresql"
    with pg_store.engine.connect() as conn:
        assert "PostgreSQL" in conn.exec_driver_sql("SELECT version()").scalar()


def test_stored_rows_hold_no_planted_personal_details(pg_store, postgres):
    check_nothing_planted_is_stored(pg_store)
    # and a full dump of the database, every table, holds none of it either
    dump = postgres.dump()
    assert "[name]" in dump
    assert not planted_in(dump)


def test_purge_deletes_only_old_conversations(pg_store):
    check_purge(pg_store)


def test_forget_deletes_exactly_one_conversation(pg_store):
    check_forget(pg_store)


def test_deploy_endpoints_file_makes_the_redacting_store(db_env):
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    from bot.privacy.tracker_store import RedactingTrackerStore

    config = read_endpoint_config(str(ROOT / "deploy" / "endpoints.postgres.yml"), "tracker_store")
    store = TrackerStore.create(config)
    inner = getattr(store, "_tracker_store", store)
    assert isinstance(inner, RedactingTrackerStore)
    assert inner.engine.dialect.name == "postgresql" and inner.engine.url.database == db_env["DB_NAME"]
    check_nothing_planted_is_stored(inner)
    inner.engine.dispose()


def test_retention_command_with_db_variables(db_env, pg_store, capsys):
    from bot.privacy.retention import main

    now = time.time()
    old, new = f"old-{uuid.uuid4().hex}", f"new-{uuid.uuid4().hex}"
    save(pg_store, make_tracker(old, planted_events(now - 45 * DAY)))
    save(pg_store, make_tracker(new, planted_events(now)))
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "purged" in out and "30 days" in out and old not in out
    assert main(["forget", new]) == 0
    assert "forgot 1 conversation" in capsys.readouterr().out
    with pg_store.engine.connect() as conn:
        senders = {r[0] for r in conn.exec_driver_sql("SELECT DISTINCT sender_id FROM events")}
    assert old not in senders and new not in senders
