"""Children's data on the running assistant: what reaches the SQLite tracker store, the API token, the logs.

Uses the shared `stack` (tests/conftest.py): a real Rasa server and action server with endpoints.yml, whose
tracker store is the SQLite file `stack.tracker_db`.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from bot.serve import ROOT, base_env
from tests.unit.test_privacy import planted_in

PLANTED_MESSAGE = "my name is Jessica Smith and my number is 07700 900123"
PLANTED = ("Jessica", "Smith", "07700", "900123")


def send(stack, text: str, sender: str, metadata: dict | None = None) -> list:
    body = {"sender": sender, "message": text}
    if metadata is not None:
        body["metadata"] = metadata
    r = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    r.raise_for_status()
    return r.json()


def stored_rows(stack, sender: str | None = None) -> list:
    """Every row of the events table, read from the SQLite file itself."""
    conn = sqlite3.connect(f"file:{stack.tracker_db}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT * FROM events").fetchall()
    finally:
        conn.close()
    text = [" | ".join(str(v) for v in row) for row in rows]
    return [r for r in text if sender is None or f"| {sender} |" in r]


def database_files(stack) -> str:
    """The SQLite file and any journal beside it, as text."""
    out = []
    for path in Path(stack.tracker_db).parent.glob(Path(stack.tracker_db).name + "*"):
        out.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(out)


@pytest.fixture(scope="module")
def planted(stack):
    """One pupil's message with a planted name and phone number; its sender id."""
    sender = "privacy-" + uuid.uuid4().hex
    reply = send(stack, PLANTED_MESSAGE, sender, {"audience": "pupil", "age": 13})
    assert reply, "the assistant answered"
    deadline = time.monotonic() + 10
    while not stored_rows(stack, sender) and time.monotonic() < deadline:
        time.sleep(0.2)
    return sender


def test_the_message_is_stored_redacted(stack, planted):
    rows = stored_rows(stack, planted)
    assert rows, "the conversation was written to the SQLite file (not kept in memory)"
    dump = "\n".join(rows)
    assert "my name is [name] and my number is [phone]" in dump
    assert '"audience": "pupil"' in dump and '"age_band": "11_13"' in dump
    assert '"age": 13' not in dump


def test_no_planted_detail_is_anywhere_in_the_database(stack, planted):
    everything = "\n".join(stored_rows(stack)) + database_files(stack)
    assert not planted_in(everything, ("Jessica", "Smith", "07700"))


def test_the_conversation_api_needs_the_token(stack, planted):
    url = f"{stack.rasa_url}/conversations/{planted}/tracker"
    assert requests.get(url, timeout=10).status_code in (401, 403)
    assert requests.get(url, params={"token": "wrong-" + uuid.uuid4().hex}, timeout=10).status_code in (401, 403)
    with_token = requests.get(url, params={"token": stack.token}, timeout=30)
    assert with_token.status_code == 200
    assert "Jessica" not in with_token.text and "07700" not in with_token.text


def test_the_next_turn_still_works_after_reading_back_redacted_history(stack, planted):
    assert send(stack, "what is consent?", planted)
    rows = stored_rows(stack, planted)
    assert sum('"event": "user"' in r for r in rows) >= 2


def test_server_logs_hold_no_message_text(stack, planted):
    marker = "zebracakes" + uuid.uuid4().hex[:6]
    send(stack, f"is it ok to send {marker} to my girlfriend", "privacy-log-" + uuid.uuid4().hex)
    time.sleep(0.5)
    logs = {p.name: p.read_text(errors="replace") for p in Path(stack.log_dir).glob("*.log")}
    assert "rasa.log" in logs
    for name, text in logs.items():
        assert marker not in text, f"message text in {name}"
        assert not planted_in(text, PLANTED), f"planted detail in {name}"


def test_retention_forget_command_deletes_one_conversation(stack):
    keep, gone = "privacy-keep-" + uuid.uuid4().hex, "privacy-gone-" + uuid.uuid4().hex
    send(stack, "hello", keep, {"audience": "parent"})
    send(stack, "hello", gone, {"audience": "parent"})
    assert stored_rows(stack, gone) and stored_rows(stack, keep)
    done = subprocess.run(
        [sys.executable, "-m", "bot.privacy.retention", "forget", gone],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=base_env(TRACKER_DB=str(stack.tracker_db)),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "forgot 1 conversation" in done.stdout and gone not in done.stdout
    assert not stored_rows(stack, gone)
    assert stored_rows(stack, keep)


def _forget_channel_registered() -> bool:
    text = (ROOT / "credentials.yml").read_text()
    return any(line.split("#")[0].strip() == "bot.privacy.forget_channel.ForgetChannel:" for line in text.splitlines())


@pytest.mark.skipif(
    not _forget_channel_registered(), reason="bot.privacy.forget_channel.ForgetChannel is not in credentials.yml"
)
@pytest.mark.parametrize("path", ["/privacy/forget", "/webhooks/privacy/forget"])
def test_quick_exit_forget_endpoint(stack, path):
    sender = "privacy-exit-" + uuid.uuid4().hex
    send(stack, "someone is sharing my nudes", sender, {"audience": "pupil", "age": 14})
    assert stored_rows(stack, sender)
    # what navigator.sendBeacon sends: a text/plain body holding JSON
    r = requests.post(
        f"{stack.rasa_url}{path}",
        data=f'{{"sender": "{sender}"}}',
        headers={"Content-Type": "text/plain;charset=UTF-8"},
        timeout=30,
    )
    assert r.status_code == 204
    assert not stored_rows(stack, sender)
    assert requests.post(f"{stack.rasa_url}{path}", json={"sender": "no such one"}, timeout=10).status_code == 400
    assert requests.post(f"{stack.rasa_url}{path}", json={"sender": "never-seen"}, timeout=10).status_code == 204
