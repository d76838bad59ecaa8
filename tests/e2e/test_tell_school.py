"""Tell my school end to end over the REST channel: the real Rasa server, a real STARTTLS mail server on loopback
(tests/servers.MailServer), the DSL inbox page and the tracker store's SQLite file. PostgreSQL for the store too."""

from __future__ import annotations

import re
import sqlite3
import uuid
from pathlib import Path

import requests
import sqlalchemy as sa

from bot.tell_school.pages import form_check
from bot.tell_school.store import Store
from tests.conftest import DSL_TOKEN, reply_text

PUPIL = {"audience": "pupil", "age": 13}
DISCLOSURE = "someone is threatening to share my nudes unless i pay"
OFFER = "Do you want to send a message to the designated safeguarding lead (DSL) at your school?"
PHRASE = re.compile(r"reference phrase is: ([a-z]+(?:-[a-z]+){3})")


def inbox(stack, auth=("dsl", DSL_TOKEN)) -> requests.Response:
    return requests.get(f"{stack.rasa_url}/tell-school/inbox", auth=auth, timeout=30)


def dsl_post(stack, path: str, **data) -> requests.Response:
    return requests.post(f"{stack.rasa_url}/tell-school/inbox/{path}", data=data, auth=("dsl", DSL_TOKEN), timeout=30)


def report_numbers(stack) -> list[int]:
    return [int(n) for n in re.findall(r'id="report-(\d+)"', inbox(stack).text)]


def tell(say, sender: str, message: str) -> list:
    """Accept the offer, write the message, confirm; the replies to the confirmation and to the send."""
    assert "Write my message" in reply_text(say("/tell_school", sender))
    say("/tell_school_write", sender)
    confirmation = say(message, sender)
    return confirmation, say("/tell_school_send", sender)


def tracker_rows(stack, sender: str) -> str:
    conn = sqlite3.connect(f"file:{stack.tracker_db}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT * FROM events WHERE sender_id = ?", (sender,)).fetchall()
    finally:
        conn.close()
    return repr(rows)


def test_a_disclosure_gets_the_offer_and_declining_sends_nothing(say, stack, mail_server):
    sender = "tell-no-" + uuid.uuid4().hex
    first = reply_text(say(DISCLOSURE, sender, PUPIL))
    assert "0800 1111" in first and OFFER in first
    mails, reports = len(mail_server.messages), report_numbers(stack)
    assert "Nothing was sent" in reply_text(say("/tell_school_no", sender))
    assert len(mail_server.messages) == mails and report_numbers(stack) == reports
    again = reply_text(say("I'm still scared they will post it", sender))
    assert OFFER not in again, "once declined, the offer is not made again in this conversation"


def test_a_report_reaches_the_dsl_by_email_and_inbox_and_never_the_tracker_store(say, stack, mail_server):
    sender = "tell-" + uuid.uuid4().hex
    mark = "zqx" + uuid.uuid4().hex[:10]
    message = f"{DISCLOSURE}. It is a boy in year 10, code {mark}"
    say(DISCLOSURE, sender, PUPIL)
    confirmation, sent = tell(say, sender, message)
    shown = reply_text(confirmation)
    assert "0800 1111" in shown.split("Here is your message")[0], (
        "a disclosure in the message gets its safety answer first"
    )
    assert f"\n{message}\n" in shown
    phrase = PHRASE.search(reply_text(sent)).group(1)

    [(to, mail)] = [m for m in mail_server.messages if mark in m[1].get_content()]
    assert to == ["dsl@school.example"] and "pupil aged 11 to 13" in mail.get_content()
    page = inbox(stack).text
    assert mark in page
    [number] = [int(a.split('"')[0]) for a in page.split('id="report-')[1:] if mark in a]

    assert mark not in tracker_rows(stack, sender) and tracker_rows(stack, sender) != "[]"
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.token}, timeout=30
    ).json()
    assert mark not in repr(tracker)
    log = "\n".join(p.read_text(errors="replace") for p in Path(stack.log_dir).glob("*.log"))
    assert mark not in log and "threatening" not in log  # the audit lines name the report, never its text
    assert f"tell-school: report #{number} saved in the inbox (pupil_11_13)" in log
    assert f"tell-school: report #{number} emailed to the DSL" in log

    waiting = reply_text(say(phrase, "tell-later-" + uuid.uuid4().hex, PUPIL))
    assert "waiting for the designated safeguarding lead" in waiting
    check = form_check(DSL_TOKEN)
    seen = dsl_post(stack, f"{number}/seen", check=check)
    assert seen.ok
    answer = "Thank you for telling us. Come to the library at break and ask for Ms Khan."
    replied = dsl_post(stack, f"{number}/reply", check=check, reply=answer)
    assert replied.ok and answer in replied.text
    later = reply_text(say(phrase.replace("-", " ").upper(), "tell-later-" + uuid.uuid4().hex, PUPIL))
    assert answer in later
    page = requests.post(f"{stack.rasa_url}/tell-school/reply", data={"phrase": phrase}, timeout=30)
    assert page.ok and answer in page.text


def test_email_down_keeps_the_report_in_the_inbox_and_says_so(say, stack, mail_server):
    sender = "tell-down-" + uuid.uuid4().hex
    mark = "down" + uuid.uuid4().hex[:10]
    mail_server.stop()
    try:
        _, sent = tell(say, sender, f"please can someone talk to me {mark}")
    finally:
        mail_server.start()
    text = reply_text(sent)
    assert "saved in the school's inbox" in text and "couldn't email" in text and PHRASE.search(text)
    page = inbox(stack).text
    assert mark in page and "not sent: the email server could not be reached" in page
    assert not any(mark in m[1].get_content() for m in mail_server.messages)


def test_the_rate_limit_holds_for_a_conversation(say, stack, mail_server):
    sender = "tell-limit-" + uuid.uuid4().hex
    for n in range(3):  # TELL_SCHOOL_CHAT_LIMIT: 3 an hour
        assert PHRASE.search(reply_text(tell(say, sender, f"message {n}")[1]))
    refused = reply_text(tell(say, sender, "message 4")[1])
    assert "wait a while" in refused and "999" in refused and not PHRASE.search(refused)


def test_a_bad_reference_phrase_gets_a_clear_error(say, stack):
    sender = "tell-read-" + uuid.uuid4().hex
    say("/tell_school_read", sender, PUPIL)
    assert "doesn't look like a reference phrase" in reply_text(say("otter maple", sender))
    assert "can't find a message" in reply_text(say("otter maple kite river", sender))
    page = requests.post(f"{stack.rasa_url}/tell-school/reply", data={"phrase": "<b>nope</b>"}, timeout=30)
    assert page.status_code == 400 and "reference phrase" in page.text and "<b>nope" not in page.text


def test_the_inbox_refuses_requests_without_authentication(stack):
    assert inbox(stack, auth=None).status_code == 401
    assert inbox(stack, auth=("dsl", "guess")).status_code == 401
    assert inbox(stack, auth=("admin", DSL_TOKEN)).status_code == 401
    forged = dsl_post(stack, "1/reply", reply="x")
    assert forged.status_code == 403
    assert requests.post(f"{stack.rasa_url}/tell-school/inbox/1/seen", timeout=30).status_code == 401


def test_teachers_are_not_offered_the_route(say):
    sender = "tell-teacher-" + uuid.uuid4().hex
    text = reply_text(say("a pupil in my class told me her stepdad hits her", sender, {"audience": "teacher"}))
    assert OFFER not in text
    assert "school's own safeguarding procedure" in reply_text(say("/tell_school", sender))


def test_the_store_works_on_postgresql():
    from tests.servers import PostgresCluster

    cluster = PostgresCluster().start()
    try:
        store = Store(sa.create_engine(cluster.url))
        number = store.add("otter-maple-kite-river", "parent", "help please")
        assert store.reply(number, "We will call you.") and store.by_phrase("otter-maple-kite-river").seen
        assert store.purge(0) == (1, 0) and store.reports() == []
        store.engine.dispose()
    finally:
        cluster.remove()
