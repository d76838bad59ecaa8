"""The widget's channels limit each conversation, not each address (bot/channels/rate_limit.py, CHAT_*).

A flood from one conversation is sent all at once, so the result does not depend on how fast the server
answers: the first CHAT_BURST messages are answered, the rest get the polite limit reply with the help
routes, and another conversation from the same address is answered as usual.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from bot.answers.answering import system_text
from bot.settings import Settings
from tests.conftest import reply_text
from tests.e2e.test_bad_input_socketio import REPLY, Chat

CHAT_BURST = int(Settings.chat_rate_burst)  # the servers run with the default
FLOOD = CHAT_BURST + 10


def post(url: str, sender: str, text: str) -> requests.Response:
    return requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120)


def test_a_flood_from_one_conversation_is_limited_and_others_are_not(stack):
    flood, other = "flood-" + uuid.uuid4().hex, "other-" + uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=FLOOD) as pool:
        replies = list(pool.map(lambda _: post(stack.rasa_url, flood, "hello"), range(FLOOD)))
    statuses = [r.status_code for r in replies]
    assert set(statuses) == {200, 429}, statuses
    # Refills at CHAT_RATE_LIMIT a minute may let one or two more through while the flood is sent.
    assert CHAT_BURST <= statuses.count(200) < FLOOD
    limited = next(r for r in replies if r.status_code == 429)
    assert limited.headers["Retry-After"].isdigit()
    text = reply_text(limited.json())
    assert text == system_text("chat_rate_limited")
    assert "0800 1111" in text and "999" in text
    answered = post(stack.rasa_url, other, "my nudes have been leaked on snapchat")
    assert answered.status_code == 200 and "0800 1111" in reply_text(answered.json())


def test_socketio_limits_one_session_and_not_another(stack):
    flood, other = Chat(stack.rasa_url), Chat(stack.rasa_url)
    limit_text = system_text("chat_rate_limited")
    try:
        session = "sio-flood-" + uuid.uuid4().hex
        flood.start_session(session)
        for _ in range(FLOOD):
            flood.sio.emit("user_uttered", {"message": "hello", "session_id": session})
        # Each answered "hello" may be several events; the limit reply is one. Wait for the refusals.
        refused, seen = 0, []
        while refused < FLOOD - CHAT_BURST - 2:
            name, data = flood.next_event()
            seen.append((data or {}).get("text", ""))
            refused += seen[-1] == limit_text
        assert "0800 1111" in limit_text and "999" in limit_text
        assert len(seen) > refused, "nothing in the flood was answered"
        session = "sio-other-" + uuid.uuid4().hex
        other.start_session(session)
        other.sio.emit("user_uttered", {"message": "what is consent", "session_id": session})
        events = other.wait_for(lambda text: "consent" in text.lower())
        assert all(name == REPLY and (data or {}).get("text") != limit_text for name, data in events)
    finally:
        flood.close()
        other.close()
