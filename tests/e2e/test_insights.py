"""Topic insights end to end: conversations through the REST channel of a real assistant, then the command's CSV,
on SQLite and on PostgreSQL; then a purge deletes every conversation and the CSV is the same.

Each backend gets an assistant of its own (tests/conftest.private_stack), so its database holds only the
conversations sent here and the counts can be exact.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest
import requests
import sqlalchemy as sa

from bot.insights.store import week_of
from bot.serve import ROOT, base_env
from tests.conftest import private_stack
from tests.servers import PostgresCluster

pytestmark = pytest.mark.e2e

TEACHER = {"audience": "teacher"}
PARENT = {"audience": "parent"}
PUPIL_13 = {"audience": "pupil", "age": 13}
PUPIL_14 = {"audience": "pupil", "age": 14}
ROW = re.compile(r"^\d{4}-W\d\d,(pupil|parent|teacher|unknown),[a-z_]+,(<5|\d+)$")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path):
    """(assistant, the environment the command runs with, a function giving the stored events' count)."""
    if request.param == "sqlite":
        stack = private_stack(tmp_path)
        env = {"TRACKER_DB": stack.tracker_db, "DB_HOST": ""}

        def events() -> int:
            with sqlite3.connect(f"file:{stack.tracker_db}?mode=ro", uri=True) as conn:
                return conn.execute("SELECT count(*) FROM events").fetchone()[0]

        cluster = None
    else:
        cluster = PostgresCluster().start()
        env = cluster.env()
        stack = private_stack(tmp_path, endpoints="deploy/endpoints.postgres.yml", extra_env=env)

        def events() -> int:
            engine = sa.create_engine(cluster.url)
            try:
                with engine.connect() as conn:
                    return conn.exec_driver_sql("SELECT count(*) FROM events").scalar()
            finally:
                engine.dispose()

    try:
        stack.start().wait_ready()
        yield stack, env, events, cluster
    finally:
        stack.stop()
        if cluster:
            cluster.remove()


def say(stack, text: str, sender: str, metadata: dict | None = None) -> list:
    body = {"sender": sender, "message": text, **({"metadata": metadata} if metadata else {})}
    r = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    r.raise_for_status()
    assert r.json(), "the assistant answered"
    return r.json()


def run(module: str, *args: str, env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=base_env(**env),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def insights_csv(env: dict) -> tuple:
    """The command's CSV as {(week, audience, topic): shown count}, and its text."""
    out = run("bot.insights", "--format", "csv", "--weeks", "2", env=env)
    lines = out.splitlines()
    assert lines[0] == "week,audience,topic,conversations"
    assert all(ROW.match(line) for line in lines[1:]), "nothing but weeks, audiences, topics and counts"
    return {(w, a, t): c for w, a, t, c in csv.reader(io.StringIO("\n".join(lines[1:])))}, out


def test_conversations_then_csv_then_purge_then_csv(backend):
    stack, env, stored_events, cluster = backend
    week = week_of(time.time())
    senders = []

    def new(kind: str) -> str:
        senders.append(f"insights-{kind}-{uuid.uuid4().hex}")
        return senders[-1]

    for i in range(5):
        teacher = new("teacher")
        say(stack, "what is consent", teacher, TEACHER)
        if i == 0:
            say(stack, "what is consent", teacher)  # asked twice: still one conversation
    for _ in range(6):
        say(stack, "is it illegal to send nudes?", new("pupil"), PUPIL_13)
    for _ in range(2):
        say(stack, "what is consent", new("parent"), PARENT)
    disclosure = say(stack, "someone is threatening to share my nudes unless i pay", new("pupil"), PUPIL_14)
    assert "0800 1111" in str(disclosure)

    before, text = insights_csv(env)
    assert before[(week, "teacher", "consent")] == "5"
    assert before[(week, "pupil", "law_on_images")] == "6"
    assert before[(week, "parent", "consent")] == "<5"
    assert before[(week, "pupil", "sextortion")] == "<5"
    assert before[(week, "teacher", "law_on_images")] == "<5"
    assert not any(s in text for s in senders)
    assert "illegal" not in text and "nudes" not in text

    # `make purge` with a retention of 0 days: every conversation is deleted, the counts stay
    purged = run("bot.privacy.retention", "purge", "--days", "0", env=env)
    assert f"purged {len(senders)} conversation(s)" in purged
    assert stored_events() == 0
    after, _ = insights_csv(env)
    assert after == before

    if cluster:  # the whole database: no sender id and no message anywhere, only the counts
        dump = cluster.dump()
        assert "insights_weekly" in dump
        assert not any(s in dump for s in senders) and "illegal to send" not in dump

    # a new conversation adds to the counts kept from the purged ones
    say(stack, "what is consent", new("teacher"), TEACHER)
    again, _ = insights_csv(env)
    assert again[(week, "teacher", "consent")] == "6"
