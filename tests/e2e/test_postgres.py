"""The redacting tracker store, purge and forget against a real PostgreSQL server.

A private cluster is made in a temporary directory with the Debian PostgreSQL binaries (`make system-deps`
installs them), listens on a free port on 127.0.0.1 with password authentication, and is stopped at the end.
PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` system user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from bot.serve import free_port
from tests.unit.test_privacy import (
    PLANTED,
    check_forget,
    check_nothing_planted_is_stored,
    check_purge,
    make_tracker,
    planted_events,
    save,
)

ROOT = Path(__file__).resolve().parents[2]
DAY = 24 * 60 * 60
DB_NAME = "assistant_test"
DB_USER = "assistant"
DB_PASSWORD = "test-" + uuid.uuid4().hex[:12]


def _pg_bin() -> Path:
    """The directory holding initdb and pg_ctl: PG_BIN, else the newest Debian PostgreSQL, else PATH."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    pytest.fail("PostgreSQL is not installed: run `make system-deps` (Debian package postgresql)")


def _as_owner(args: list, owner: str | None) -> list:
    return ["runuser", "-u", owner, "--", *args] if owner else args


@pytest.fixture(scope="module")
def postgres():
    """A running private PostgreSQL cluster with one database; yields its connection settings."""
    bindir = _pg_bin()
    owner = "postgres" if os.geteuid() == 0 else None
    home = Path(tempfile.mkdtemp(prefix="pg-test-"))
    data, sockets, log = home / "data", home / "sock", home / "server.log"
    sockets.mkdir()
    pwfile = home / "pw"
    pwfile.write_text("superuser-" + uuid.uuid4().hex + "\n")
    if owner:
        user = pwd.getpwnam(owner)
        for path in (home, sockets, pwfile):
            os.chown(path, user.pw_uid, user.pw_gid)
    port = free_port()

    def run(*args: str) -> subprocess.CompletedProcess:
        command = _as_owner([str(bindir / args[0]), *args[1:]], owner)
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    run(
        "initdb",
        "-D",
        str(data),
        "-U",
        "postgres",
        "--pwfile",
        str(pwfile),
        "-E",
        "UTF8",
        "--no-sync",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
    )
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    run("pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start")
    try:
        for sql in (
            f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{DB_PASSWORD}'",
            f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}",
        ):
            run("psql", "-h", str(sockets), "-p", str(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qAtc", sql)
        yield {
            "host": "127.0.0.1",
            "port": port,
            "db": DB_NAME,
            "user": DB_USER,
            "password": DB_PASSWORD,
            "bindir": bindir,
            "sockets": sockets,
            "owner": owner,
            "run": run,
        }
    finally:
        try:
            run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def pg_store(postgres):
    from rasa.shared.core.domain import Domain

    from bot.privacy import RedactingTrackerStore

    store = RedactingTrackerStore(
        domain=Domain.empty(),
        dialect="postgresql",
        host=postgres["host"],
        port=postgres["port"],
        db=postgres["db"],
        username=postgres["user"],
        password=postgres["password"],
    )
    yield store
    store.engine.dispose()


@pytest.fixture
def db_env(postgres, monkeypatch):
    """The DB_* variables deploy/endpoints.postgres.yml and the retention command read."""
    env = {
        "DB_HOST": postgres["host"],
        "DB_PORT": str(postgres["port"]),
        "DB_NAME": postgres["db"],
        "DB_USER": postgres["user"],
        "DB_PASSWORD": postgres["password"],
        "ACTION_SERVER_URL": "http://127.0.0.1:1",
    }
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
    dump = postgres["run"](
        "pg_dump", "-h", str(postgres["sockets"]), "-p", str(postgres["port"]), "-U", "postgres", postgres["db"]
    ).stdout
    assert "[name]" in dump
    for secret in PLANTED:
        assert secret not in dump, secret


def test_purge_deletes_only_old_conversations(pg_store):
    check_purge(pg_store)


def test_forget_deletes_exactly_one_conversation(pg_store):
    check_forget(pg_store)


def test_deploy_endpoints_file_makes_the_redacting_store(db_env):
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    from bot.privacy import RedactingTrackerStore

    config = read_endpoint_config(str(ROOT / "deploy" / "endpoints.postgres.yml"), "tracker_store")
    store = TrackerStore.create(config)
    inner = getattr(store, "_tracker_store", store)
    assert isinstance(inner, RedactingTrackerStore)
    assert inner.engine.dialect.name == "postgresql" and inner.engine.url.database == db_env["DB_NAME"]
    check_nothing_planted_is_stored(inner)
    inner.engine.dispose()


def test_retention_command_with_db_variables(db_env, pg_store, capsys):
    from bot.retention import main

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
