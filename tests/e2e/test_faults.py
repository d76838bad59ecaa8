"""Faults, each with its own real servers: the tracker store (PostgreSQL) going down mid-conversation, the Rasa
server killed and restarted, and an action server that accepts a request and never answers. The person always
gets an answer with help routes, and the conversation carries on afterwards with what it knew."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from bot.answers.answering import system_text
from bot.serve import Stack
from tests.conftest import private_stack, reply_text
from tests.fakes import StallingActionServer
from tests.servers import PostgresCluster

PUPIL_14 = {"audience": "pupil", "age": 14}
SEXTORTION = "someone says they'll post my nudes unless i pay them"


def send(stack: Stack, text: str, sender: str, metadata: dict | None = None) -> requests.Response:
    """One REST message; the timeout only catches a hang (Rasa itself would wait 5 minutes)."""
    body = {"sender": sender, "message": text, **({"metadata": metadata} if metadata else {})}
    return requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=90)


def say(stack: Stack, text: str, sender: str, metadata: dict | None = None) -> str:
    r = send(stack, text, sender, metadata)
    assert r.status_code == 200, r.text
    return reply_text(r.json())


def slots(stack: Stack, sender: str) -> dict:
    r = requests.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.token}, timeout=30)
    r.raise_for_status()
    return r.json()["slots"]


def assert_apology(r: requests.Response) -> None:
    assert r.status_code == 200, r.text
    assert "Traceback" not in r.text and 'File "' not in r.text and "sqlalchemy" not in r.text.lower()
    text = reply_text(r.json())
    assert text == system_text("apology")
    assert "0800 1111" in text and "999" in text


def rasa_log(stack: Stack) -> str:
    return (stack.log_dir / "rasa.log").read_text(errors="replace")


@pytest.fixture
def postgres():
    cluster = PostgresCluster()
    try:
        yield cluster.start()
    finally:
        cluster.remove()


def test_tracker_store_down_gets_the_apology_and_the_conversation_resumes(tmp_path, postgres):
    stack = private_stack(tmp_path, endpoints="deploy/endpoints.postgres.yml", extra_env=postgres.env()).start()
    try:
        stack.wait_ready()
        sender = uuid.uuid4().hex
        assert "consent" in say(stack, "what is consent", sender, PUPIL_14).lower()
        assert slots(stack, sender)["age_band"] == "14_15"

        postgres.stop()
        asked = "what does a healthy relationship look like with Priya Kaur"
        assert_apology(send(stack, asked, sender))
        log = rasa_log(stack)
        assert "rest turn failed: the tracker store is unavailable" in log
        assert "Priya" not in log and "healthy relationship" not in log

        postgres.start()
        disclosure = say(stack, SEXTORTION, sender)
        assert "0800 1111" in disclosure and "Report Remove" in disclosure  # 14-15: the age band is still known
        kept = slots(stack, sender)
        assert kept["audience"] == "pupil" and kept["age_band"] == "14_15"
    finally:
        stack.stop()


def test_rasa_killed_and_restarted_carries_on_with_the_quiz(tmp_path):
    stack = private_stack(tmp_path).start()
    try:
        stack.wait_ready()
        sender = uuid.uuid4().hex
        first = say(stack, "start a myth or fact quiz for year 8", sender, {"audience": "teacher"})
        total = int(re.search(r"Question 1 of (\d+)", first).group(1))
        assert "Question 2 of" in say(stack, "myth", sender)

        stack.kill("rasa")
        with pytest.raises(requests.ConnectionError):
            requests.get(stack.rasa_url, timeout=5)
        stack.start_rasa()
        stack.wait_ready()

        assert f"Question 3 of {total}" in say(stack, "fact", sender)
        assert slots(stack, sender)["audience"] == "teacher"
    finally:
        stack.stop()


def test_a_stuck_action_server_gets_a_timely_apology_and_the_conversation_recovers(tmp_path):
    stack = private_stack(tmp_path)
    stand_in = StallingActionServer(stack.action_url).start()
    stack.extra_env = {"ACTION_SERVER_URL": f"http://127.0.0.1:{stand_in.port}/webhook", "TURN_TIMEOUT": "10"}
    stack.start()
    try:
        stack.wait_ready()
        sender = uuid.uuid4().hex
        assert "consent" in say(stack, "what is consent", sender, PUPIL_14).lower()

        stand_in.stalled.set()
        assert_apology(send(stack, "what does a healthy relationship look like", sender))
        assert stand_in.held >= 1  # the action server really got the request and never answered
        assert "rest turn failed: no reply within 10 s" in rasa_log(stack)

        # safety answers are domain responses: they still come while the action server is stuck
        disclosure = say(stack, SEXTORTION, sender)
        assert "0800 1111" in disclosure and re.search(r"don't pay", disclosure, re.I)

        stand_in.stalled.clear()
        answer = say(stack, "what is consent", sender)
        assert "consent" in answer.lower() and answer != system_text("apology")
        assert slots(stack, sender)["age_band"] == "14_15"
    finally:
        stack.stop()
        stand_in.stop()
