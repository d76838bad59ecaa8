"""Children's data: redaction, the redacting tracker store, purge and forget, the forget endpoint, the log filter.

The store tests use SQLite in a temporary directory; tests/e2e/test_postgres.py runs the same checks
against a real PostgreSQL server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid

import pytest

from bot.privacy.log_filter import NoMessageTextFilter, install_log_filter
from bot.privacy.redaction import redact
from bot.privacy.retention import database_url, forget_conversation, purge_older_than
from bot.privacy.retention import main as retention_main
from bot.privacy.stored_events import stored_event
from bot.privacy.tracker_store import RedactingTrackerStore

DAY = 24 * 60 * 60

# ------------------------------------------------------------------ redaction


@pytest.mark.parametrize(
    "text, planted, placeholder",
    [
        ("my name is Jessica Smith and I need help", ["Jessica", "Smith"], "[name]"),
        ("My name's jess and im 13", ["jess "], "[name]"),
        ("im called tom", ["tom"], "[name]"),
        ("I'm called Ayesha", ["Ayesha"], "[name]"),
        ("call me Jess", ["Jess"], "[name]"),
        ("you can call me ben", ["ben"], "[name]"),
        ("a boy called Jake Smith messaged me", ["Jake", "Smith"], "[name]"),
        ("my number is 07700 900123", ["07700", "900123"], "[phone]"),
        ("text me on 07700900123", ["07700900123"], "[phone]"),
        ("ring +44 7700 900123", ["7700"], "[phone]"),
        ("my mum is on (020) 7946 0000", ["7946"], "[phone]"),
        ("call +1 415 555 0100 in the US", ["415", "555"], "[phone]"),
        ("my email is jess.smith99@gmail.com", ["jess.smith99", "gmail"], "[email]"),
        ("my postcode is LS1 4AP", ["LS1", "4AP"], "[postcode]"),
        ("sw1a 1aa", ["sw1a", "1aa"], "[postcode]"),
        ("I live at 12 Oak Tree Road", ["12 Oak", "Tree Road"], "[address]"),
        ("i live at 45b mill lane", ["45b", "mill lane"], "[address]"),
        ("we live at 3 Elm Close", ["Elm Close"], "[address]"),
        ("I live on Oak Tree Road", ["Oak Tree"], "[address]"),
        ("add me @jess_x99 on insta", ["jess_x99"], "[handle]"),
        ("my snap is jess_x2", ["jess_x2"], "[handle]"),
        ("add me on snap jess.x", ["jess.x"], "[handle]"),
        ("I was born on 12/03/2011", ["12/03/2011"], "[date]"),
        ("born on 12 March 2011", ["12 March", "2011"], "[date]"),
        ("my birthday is the 12th of March", ["12th", "March"], "[date]"),
        ("dob: 12.03.2011", ["12.03.2011"], "[date]"),
        ("I was born in 2011", ["2011"], "[date]"),
        ("it happened on March 12, 2011", ["March 12", "2011"], "[date]"),
    ],
)
def test_personal_details_are_replaced_by_placeholders(text, planted, placeholder):
    out = redact(text)
    assert placeholder in out, out
    for secret in planted:
        assert secret not in out, out


def test_every_kind_of_detail_in_one_message():
    text = (
        "Hi my name is Jessica Smith, I live at 12 Oak Tree Road, Leeds LS1 4AP, my number is 07700 900123, "
        "email jess@example.com, snap @jessyx, I was born on 12/03/2011"
    )
    out = redact(text)
    for secret in ["Jessica", "Smith", "Oak Tree", "LS1", "07700", "jess@", "jessyx", "2011"]:
        assert secret not in out, out
    assert out.startswith("Hi my name is [name], I live at [address], Leeds [postcode]")


@pytest.mark.parametrize(
    "text",
    [
        "I'm 13 and in year 8",
        "my bf is 17 and i'm 14",
        "I am 15 years old",
        "is it illegal to send nudes if im 16?",
        "there were 3 boys in the park",
        "I have 2 older brothers who park",
        "they call me fat",
        "call me back later",
        "I'm called names at school",
        "my snap got hacked",
        "my insta is private",
        "it's called sexting",
        "I called Childline yesterday",
        "I called Mum and she came",
        "see you b4 2nd period",
        "I was in y9 2nd term",
        "it happened 2 years ago",
        "he sent 2 pics his way on 12 may",
        "we met at 9 30am on the 1st",
        "what is consent?",
        "someone is threatening to share my pictures unless I pay them",
    ],
)
def test_ordinary_sentences_are_left_alone(text):
    assert redact(text) == text


HELPLINES = "Childline 0800 1111, Samaritans 116 123, text SHOUT to 85258, NSPCC 0808 800 5000, 999 or 101."


def test_help_line_numbers_are_never_redacted():
    assert redact(HELPLINES) == HELPLINES
    assert redact("should I ring 0800 1111 or 0808 800 5000?") == "should I ring 0800 1111 or 0808 800 5000?"
    assert redact("email help@nspcc.org.uk") == "email help@nspcc.org.uk"


def test_redact_passes_through_empty_and_non_text():
    assert redact("") == ""
    assert redact(None) is None


# ------------------------------------------------------------------ the tracker store

PLANTED_TEXT = (
    "my name is Jessica Smith, my number is 07700 900123, email jessica.smith@example.com, "
    "I live at 12 Oak Tree Road LS1 4AP, snap @jess_smith11, born on 12/03/2011"
)
PLANTED = [
    "Jessica",
    "Smith",
    "07700",
    "900123",
    "example.com",
    "Oak Tree",
    "LS1",
    "4AP",
    "jess_smith11",
    "12/03/2011",
    "203.0.113.9",
    "secret-browser",
]


def planted_in(text: str, secrets=PLANTED) -> list:
    """The planted details that stand in `text`. A detail of digits counts only as a number of its own: a
    timestamp such as 1796630032.0770094 holds "07700" without holding anybody's phone number."""
    return [
        secret
        for secret in secrets
        if (re.search(rf"(?<![\d.]){re.escape(secret)}(?!\d)", text) if secret.isdigit() else secret in text)
    ]


BOT_TEXT = "Thank you for telling me. " + HELPLINES


def planted_events(now: float = None, sender_metadata: dict = None):
    """One turn carrying every kind of personal detail, plus the bot's reply with help line numbers."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, EntitiesAdded, SessionStarted, SlotSet, UserUttered

    now = time.time() if now is None else now
    metadata = sender_metadata or {"audience": "pupil", "age": 13, "ip": "203.0.113.9", "agent": "secret-browser"}
    return [
        ActionExecuted("action_session_start", timestamp=now),
        SessionStarted(timestamp=now),
        SlotSet("session_started_metadata", metadata, timestamp=now),
        ActionExecuted("action_listen", timestamp=now),
        UserUttered(
            PLANTED_TEXT,
            intent={"name": "disclosure_abuse", "confidence": 1.0},
            entities=[{"entity": "person", "value": "Jessica Smith", "start": 11, "end": 24}],
            parse_data={
                "text": PLANTED_TEXT,
                "intent": {"name": "disclosure_abuse", "confidence": 1.0},
                "entities": [{"entity": "person", "value": "Jessica Smith", "start": 11, "end": 24}],
                "metadata": metadata,
            },
            metadata=metadata,
            timestamp=now + 1,
            input_channel="rest",
        ),
        EntitiesAdded([{"entity": "contact", "value": "07700 900123"}], timestamp=now + 1),
        ActionExecuted("utter_disclosure_abuse", timestamp=now + 2),
        BotUttered(BOT_TEXT, metadata={"utter_action": "utter_disclosure_abuse"}, timestamp=now + 2),
        ActionExecuted("action_listen", timestamp=now + 3),
    ]


def make_tracker(sender: str, events):
    from rasa.shared.core.trackers import DialogueStateTracker

    return DialogueStateTracker.from_events(sender, events)


def save(store, tracker) -> None:
    asyncio.run(store.save(tracker))


def raw_rows(store) -> list:
    """Every row of the events table as stored, all columns as text."""
    with store.engine.connect() as conn:
        return [" | ".join(str(v) for v in row) for row in conn.exec_driver_sql("SELECT * FROM events")]


def check_nothing_planted_is_stored(store) -> None:
    """The shared store check: a planted turn is saved, and no planted detail reaches the database."""
    sender = "test-" + uuid.uuid4().hex
    tracker = make_tracker(sender, planted_events())
    save(store, tracker)
    rows = [r for r in raw_rows(store) if sender in r]
    assert len(rows) == len(tracker.events)
    dump = "\n".join(rows)
    assert not planted_in(dump)
    assert '"age": 13' not in dump and '"age":13' not in dump, "the exact age is never stored"
    assert '"age_band": "11_13"' in dump and '"audience": "pupil"' in dump
    assert "[name]" in dump and "[phone]" in dump and "[email]" in dump and "[postcode]" in dump
    assert "[address]" in dump and "[handle]" in dump and "[date]" in dump
    for number in ("0800 1111", "116 123", "85258", "0808 800 5000"):
        assert number in dump, f"the bot's help line {number} is kept"
    # the live turn keeps what the person typed
    assert tracker.latest_message.text == PLANTED_TEXT
    # and the conversation can be read back, redacted
    back = asyncio.run(store.retrieve(sender))
    assert back is not None and back.latest_message.text.startswith("my name is [name]")
    assert back.get_latest_entity_values("person") is not None


def check_purge(store) -> None:
    """Conversations idle for longer than the period go; one with a recent message stays, even if it began long ago."""
    now = time.time()
    old, recent, long_running = (f"{k}-{uuid.uuid4().hex}" for k in ("old", "recent", "long"))
    save(store, make_tracker(old, planted_events(now - 40 * DAY)))
    save(store, make_tracker(recent, planted_events(now - 2 * DAY)))
    save(store, make_tracker(long_running, planted_events(now - 40 * DAY) + planted_events(now - DAY)[3:]))
    before = {s: sum(s in r for r in raw_rows(store)) for s in (old, recent, long_running)}
    conversations, rows = asyncio.run(store.purge(30))
    after = {s: sum(s in r for r in raw_rows(store)) for s in (old, recent, long_running)}
    assert after[old] == 0 and conversations >= 1 and rows >= before[old]
    assert after[recent] == before[recent] and after[long_running] == before[long_running]


def check_forget(store) -> None:
    """Forget deletes exactly one sender's rows."""
    keep, gone = f"keep-{uuid.uuid4().hex}", f"gone-{uuid.uuid4().hex}"
    save(store, make_tracker(keep, planted_events()))
    save(store, make_tracker(gone, planted_events()))
    total = len(raw_rows(store))
    gone_rows = sum(gone in r for r in raw_rows(store))
    assert asyncio.run(store.forget(gone)) == gone_rows > 0
    assert len(raw_rows(store)) == total - gone_rows
    assert not any(gone in r for r in raw_rows(store))
    assert asyncio.run(store.retrieve(keep)) is not None
    assert asyncio.run(store.retrieve(gone)) is None
    assert asyncio.run(store.forget(gone)) == 0


@pytest.fixture
def sqlite_store(tmp_path):
    from rasa.shared.core.domain import Domain

    return RedactingTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "conversations.db"))


def test_stored_rows_hold_no_planted_personal_details(sqlite_store, tmp_path):
    check_nothing_planted_is_stored(sqlite_store)
    # read the file itself too, not through SQLAlchemy
    raw = (tmp_path / "conversations.db").read_bytes().decode("utf-8", "replace")
    assert not planted_in(raw)


def test_purge_deletes_only_old_conversations(sqlite_store):
    check_purge(sqlite_store)


def test_forget_deletes_exactly_one_conversation(sqlite_store):
    check_forget(sqlite_store)


def test_second_turn_appends_only_new_events(sqlite_store):
    from rasa.shared.core.events import ActionExecuted, UserUttered

    sender = "turns-" + uuid.uuid4().hex
    tracker = make_tracker(sender, planted_events())
    save(sqlite_store, tracker)
    n = len(raw_rows(sqlite_store))
    tracker.update(UserUttered("call me Jess", intent={"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_listen"))
    save(sqlite_store, tracker)
    rows = raw_rows(sqlite_store)
    assert len(rows) == n + 2
    assert "Jess" not in "\n".join(rows).replace("[name]", "")


def _turns_read_from_the_store(store) -> list:
    """Three turns as Rasa runs them (read, add, save), the third after a new session starts; the event types
    of the whole stored conversation."""
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered

    sender = "read-save-" + uuid.uuid4().hex
    save(store, make_tracker(sender, planted_events()))
    for turn, new_session in (("hello", False), ("thanks", False), ("hi again", True)):
        tracker = asyncio.run(store.retrieve(sender))
        if new_session:
            tracker.update(ActionExecuted("action_session_start"))
            tracker.update(SessionStarted())
            tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(turn, intent={"name": "greet", "confidence": 1.0}))
        tracker.update(ActionExecuted("utter_greet"))
        tracker.update(ActionExecuted("action_listen"))
        save(store, tracker)
    return [event.type_name for event in asyncio.run(store.retrieve_full_tracker(sender)).events]


def test_a_turn_read_from_the_store_appends_exactly_its_new_events(sqlite_store, tmp_path):
    """The store skips Rasa's count query after a read; what it stores must equal what Rasa's own store does."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    ours = _turns_read_from_the_store(sqlite_store)
    rasa = _turns_read_from_the_store(SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "r.db")))
    assert ours == rasa
    assert len(ours) == len(planted_events()) + 3 * 3 + 3
    assert ours.count("session_started") == 2


def _new_conversation(store, rows_after_create: list) -> list:
    """Two turns of a conversation the store has never seen, through Rasa's wrapper as the server uses it."""
    from rasa.core.tracker_store import FailSafeTrackerStore
    from rasa.shared.core.events import ActionExecuted, UserUttered

    wrapped, sender = FailSafeTrackerStore(store), "new-" + uuid.uuid4().hex
    for turn in ("hello", "thanks"):
        tracker = asyncio.run(wrapped.get_or_create_tracker(sender))
        rows_after_create.append(sum(sender in row for row in raw_rows(store)))
        tracker.update(UserUttered(turn, intent={"name": "greet", "confidence": 1.0}))
        tracker.update(ActionExecuted("utter_greet"))
        tracker.update(ActionExecuted("action_listen"))
        asyncio.run(wrapped.save(tracker))
    return [event.as_dict()["event"] for event in asyncio.run(store.retrieve_full_tracker(sender)).events]


def test_a_new_conversation_is_written_once_a_turn_and_stored_as_rasa_stores_it(sqlite_store, tmp_path):
    """Rasa writes a new tracker's first event at once; ours writes it with the turn. Same events in the end."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    ours_created, rasas_created = [], []
    ours = _new_conversation(sqlite_store, ours_created)
    rasas = _new_conversation(
        SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "r.db")), rasas_created
    )
    assert ours == rasas == ["action", "user", "action", "action", "user", "action", "action"]
    assert ours_created == [0, 4]  # nothing before the first turn is saved; then that turn's four events


def test_stored_event_does_not_change_the_live_event():
    from rasa.shared.core.events import UserUttered

    event = UserUttered("my number is 07700 900123", metadata={"age": 15, "audience": "pupil", "ip": "x"})
    data = event.as_dict()
    stored = stored_event(data)
    assert stored["text"] == "my number is [phone]"
    assert stored["metadata"] == {"audience": "pupil", "age_band": "14_15"}
    assert data["text"] == "my number is 07700 900123" and event.text == data["text"]


def test_a_user_message_is_redacted_once_wherever_the_event_holds_it(monkeypatch):
    import bot.privacy.stored_events as stored_events

    text = "my name is Sam and my number is 07700 900123"
    parse = {"text": text, "intent": {"name": "x"}, "entities": [{"entity": "person", "value": "Sam"}]}
    calls = []
    monkeypatch.setattr(stored_events, "redact", lambda t: calls.append(t) or redact(t))
    stored = stored_event({"event": "user", "text": text, "parse_data": parse})
    assert calls.count(text) == 1
    assert stored["text"] == stored["parse_data"]["text"] == "my name is [name] and my number is [phone]"
    assert stored["parse_data"]["entities"][0]["value"] == "[redacted]"
    other = stored_event({"event": "user", "text": "hi", "parse_data": {**parse, "text": "call 07700 900123"}})
    assert (other["text"], other["parse_data"]["text"]) == ("hi", "call [phone]")


def test_bot_messages_are_stored_as_said():
    from rasa.shared.core.events import BotUttered

    assert stored_event(BotUttered(BOT_TEXT).as_dict())["text"] == BOT_TEXT


# ------------------------------------------------------------------ the retention command


def test_purge_command_uses_tracker_db_and_prints_counts_only(tmp_path, monkeypatch, capsys, sqlite_store):
    now = time.time()
    save(sqlite_store, make_tracker("old-one", planted_events(now - 31 * DAY)))
    save(sqlite_store, make_tracker("new-one", planted_events(now)))
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "conversations.db"))
    monkeypatch.delenv("DB_HOST", raising=False)
    assert retention_main(["purge"]) == 0  # default: retention_days from the school profile (30)
    out = capsys.readouterr().out
    assert "purged 1 conversation" in out and "30 days" in out
    assert "old-one" not in out and "[name]" not in out and "Thank you" not in out
    assert {r.split(" | ")[1] for r in raw_rows(sqlite_store)} == {"new-one"}


def test_purge_command_with_days_and_url(tmp_path, capsys, sqlite_store):
    now = time.time()
    save(sqlite_store, make_tracker("five-days", planted_events(now - 5 * DAY)))
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    assert retention_main(["purge", "--days", "7", "--url", url]) == 0
    assert "purged 0 conversation" in capsys.readouterr().out
    assert retention_main(["--url", url, "purge", "--days", "3"]) == 0
    assert "purged 1 conversation" in capsys.readouterr().out
    assert raw_rows(sqlite_store) == []


def test_forget_command(tmp_path, monkeypatch, capsys, sqlite_store):
    save(sqlite_store, make_tracker("alpha", planted_events()))
    save(sqlite_store, make_tracker("beta", planted_events()))
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "conversations.db"))
    monkeypatch.delenv("DB_HOST", raising=False)
    assert retention_main(["forget", "alpha"]) == 0
    out = capsys.readouterr().out
    assert "forgot 1 conversation" in out and "alpha" not in out
    assert {r.split(" | ")[1] for r in raw_rows(sqlite_store)} == {"beta"}
    assert retention_main(["forget", "alpha"]) == 0
    assert "nothing deleted" in capsys.readouterr().out


def test_forget_finds_a_whatsapp_number_or_a_telegram_chat_by_its_keyed_hash(
    tmp_path, monkeypatch, capsys, sqlite_store
):
    from bot.channels.conversation_ids import telegram_id, twilio_id

    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "conversations.db"))
    monkeypatch.delenv("DB_HOST", raising=False)
    monkeypatch.setenv("CONVERSATION_ID_KEY", "the-id-key")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "the-new-twilio-token")
    whatsapp = twilio_id("the-id-key", "whatsapp:+447700900123")
    sms = twilio_id("the-id-key", "+447700900123")
    before_the_key = twilio_id("the-new-twilio-token", "whatsapp:+447700900123")  # hashed with the token, once
    someone_else = twilio_id("the-id-key", "whatsapp:+447700900124")
    chat, old_chat, other_chat = telegram_id("the-id-key", 123456789), "tg-123456789", telegram_id("the-id-key", 5)
    for sender in (whatsapp, sms, before_the_key, someone_else, chat, old_chat, other_chat):
        save(sqlite_store, make_tracker(sender, planted_events()))

    assert retention_main(["forget", "--phone", "07700 900123"]) == 0
    out = capsys.readouterr().out
    assert "forgot 3 conversation(s)" in out and "7700" not in out
    assert retention_main(["forget", "--telegram", "123456789"]) == 0
    assert "forgot 2 conversation(s)" in capsys.readouterr().out
    assert {r.split(" | ")[1] for r in raw_rows(sqlite_store)} == {someone_else, other_chat}
    assert retention_main(["forget", "--phone", "whatsapp:+44 7700 900124"]) == 0
    assert {r.split(" | ")[1] for r in raw_rows(sqlite_store)} == {other_chat}


def test_forget_by_number_needs_the_key_and_a_number(monkeypatch, capsys):
    monkeypatch.delenv("CONVERSATION_ID_KEY", raising=False)
    with pytest.raises(SystemExit):
        retention_main(["forget", "--phone", "07700900123"])
    assert "CONVERSATION_ID_KEY" in capsys.readouterr().err
    monkeypatch.setenv("CONVERSATION_ID_KEY", "k")
    for args in (["--phone", "not a number"], ["--telegram", "@someone"], ["x", "--phone", "07700900123"]):
        with pytest.raises(SystemExit):
            retention_main(["forget", *args])


def test_the_ids_depend_on_the_key_alone():
    from bot.channels.conversation_ids import international, phone_ids

    forms = ["07700 900123", "+44 7700 900123", "whatsapp:+447700900123", "0044-7700-900123", "447700900123"]
    assert {international(form) for form in forms} == {"+447700900123"}
    assert len({tuple(phone_ids("k", form)) for form in forms}) == 1
    assert phone_ids("k", forms[0]) != phone_ids("another key", forms[0])


def test_commands_do_not_create_a_missing_database(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "none.db"
    monkeypatch.setenv("TRACKER_DB", str(missing))
    monkeypatch.delenv("DB_HOST", raising=False)
    assert retention_main(["purge", "--days", "1"]) == 0
    assert retention_main(["forget", "x"]) == 0
    assert not missing.exists()
    assert "nothing deleted" in capsys.readouterr().out


def test_database_url_from_db_variables():
    env = {"DB_HOST": "db.internal", "DB_PORT": "5433", "DB_NAME": "assistant", "DB_USER": "rasa", "DB_PASSWORD": "pw"}
    url = database_url(env=env)
    assert (url.drivername, url.host, url.port, url.database, url.username) == (
        "postgresql",
        "db.internal",
        5433,
        "assistant",
        "rasa",
    )
    assert database_url(env={"TRACKER_DB": "x.db"}).database == "x.db"
    assert database_url("sqlite:///y.db", env=env).database == "y.db"


def test_purge_and_forget_on_an_empty_database(tmp_path):
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert purge_older_than(engine, 30) == (0, 0)
    assert forget_conversation(engine, "nobody") == 0
    with pytest.raises(ValueError):
        purge_older_than(engine, -1)


# ------------------------------------------------------------------ the forget endpoint


def _free_port() -> int:
    from bot.serve import free_port

    return free_port()


async def _post_to_forget_channel(store, requests_to_send):
    """Mount ForgetChannel the way `rasa run` does, on a real Sanic server, and post to it."""
    import aiohttp
    from rasa.core.channels.channel import register
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.tracker_store import FailSafeTrackerStore
    from sanic import Sanic

    from bot.privacy.forget_channel import ForgetChannel

    class Agent:
        tracker_store = FailSafeTrackerStore(store)
        lock_store = InMemoryLockStore()

    app = Sanic(f"forget_test_{uuid.uuid4().hex[:8]}")
    app.ctx.agent = Agent()
    register([ForgetChannel()], app, route="/webhooks/")
    port = _free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    answers = []
    try:
        async with aiohttp.ClientSession() as session:
            for path, body, headers in requests_to_send:
                async with session.post(f"http://127.0.0.1:{port}{path}", data=body, headers=headers) as r:
                    answers.append((r.status, await r.text()))
    finally:
        server.close()
        await server.wait_closed()
    return answers


def test_forget_endpoint_deletes_one_conversation_and_answers_204(sqlite_store):
    save(sqlite_store, make_tracker("widget-a", planted_events()))
    save(sqlite_store, make_tracker("widget-b", planted_events()))
    save(sqlite_store, make_tracker("widget-c", planted_events()))
    beacon = {"Content-Type": "text/plain;charset=UTF-8"}  # what navigator.sendBeacon sends
    as_json = {"Content-Type": "application/json"}
    answers = asyncio.run(
        _post_to_forget_channel(
            sqlite_store,
            [
                ("/privacy/forget", json.dumps({"sender": "widget-a"}), beacon),
                ("/webhooks/privacy/forget", json.dumps({"sender": "widget-b"}), as_json),
                ("/privacy/forget", json.dumps({"sender": "nobody-here"}), as_json),
                ("/privacy/forget", json.dumps({"sender": "bad sender; DROP TABLE events"}), as_json),
                ("/privacy/forget", json.dumps({"sender": "x" * 500}), as_json),
                ("/privacy/forget", "not json", as_json),
                ("/privacy/forget", json.dumps(["widget-c"]), as_json),
            ],
        )
    )
    assert [status for status, _ in answers] == [204, 204, 204, 400, 400, 400, 400]
    assert {r.split(" | ")[1] for r in raw_rows(sqlite_store)} == {"widget-c"}


# ------------------------------------------------------------------ logs


def _record(name: str, level: int, msg: str, *args) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_log_filter_drops_debug_lines_that_carry_message_text_and_redacts_the_rest():
    f = NoMessageTextFilter()
    assert not f.filter(_record("rasa.core.processor", logging.DEBUG, "Received user message '%s'", "hi"))
    assert not f.filter(_record("rasa.nlu.classifiers.diet_classifier", logging.DEBUG, "text %s", "hi"))
    kept = _record("rasa.core.agent", logging.WARNING, "failed for %s", "my number is 07700 900123")
    assert f.filter(kept) and kept.getMessage() == "failed for my number is [phone]"
    plain = _record("rasa.server", logging.INFO, "Starting Rasa server on %s", "http://127.0.0.1:5005")
    assert f.filter(plain) and plain.getMessage() == "Starting Rasa server on http://127.0.0.1:5005"


def test_install_log_filter_is_idempotent():
    first, second = install_log_filter(), install_log_filter()
    assert first is second
    assert logging.getLogger().filters.count(first) == 1


def test_lesson_slots_are_stored_whole():
    """Only the channel's metadata slot is trimmed; other dict slots, like the quiz state, are kept as they are."""
    from bot.privacy.stored_events import stored_event

    quiz = {"key_stage": "ks3", "ids": ["a", "b"], "index": 1, "score": 1, "answered": 1, "stopped": False}
    assert stored_event({"event": "slot", "name": "quiz", "value": quiz})["value"] == quiz
    meta = stored_event({"event": "slot", "name": "session_started_metadata", "value": {"audience": "pupil", "x": 1}})
    assert meta["value"] == {"audience": "pupil"}
