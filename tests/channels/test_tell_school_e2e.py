"""Tell my school for parents on WhatsApp (Twilio) and Telegram, end to end: the real Rasa server, the fake
Twilio and Telegram APIs (tests/fakes.py), the real STARTTLS mail server on loopback (tests/servers.MailServer),
the DSL inbox page, the tracker store's SQLite file and the server's log."""

from __future__ import annotations

import random
import re
import sqlite3
import uuid
from pathlib import Path

import pytest
import requests

from bot.channels.conversation_ids import telegram_id, twilio_id
from bot.tell_school.pages import form_check
from tests.channels.helpers import new_number, sign, telegram_update, twilio_form
from tests.conftest import DSL_TOKEN, TELEGRAM, TWILIO
from tests.e2e.test_tell_school import PHRASE, dsl_post, inbox, tracker_rows

pytestmark = pytest.mark.e2e
KEY = TWILIO["CONVERSATION_ID_KEY"]
DISCLOSURE = "someone has shared a nude photo of my 14 year old daughter"
OFFER = "Do you want to send a message to the designated safeguarding lead (DSL) at your school?"
EXPLAINED = "Mon–Fri 8:30–16:00"
WRITE = "Please type your message now, in one go."


class WhatsApp:
    """A parent's WhatsApp number, talking to the stack through signed Twilio webhooks."""

    def __init__(self, stack, api) -> None:
        self.stack, self.api = stack, api
        self.number = new_number()
        self.sender = twilio_id(KEY, self.number)
        self.planted = [self.number, self.number.removeprefix("whatsapp:"), self.number.split("+44")[1]]

    def say(self, text: str) -> str:
        """Send one message; the text sent back to the number."""
        url = f"{self.stack.rasa_url}/webhooks/twilio/webhook"
        form = twilio_form(self.number, text, to=TWILIO["TWILIO_NUMBER"], account_sid=TWILIO["TWILIO_ACCOUNT_SID"])
        before = len(self.api.sent_to(self.number))
        headers = {"X-Twilio-Signature": sign(TWILIO["TWILIO_AUTH_TOKEN"], url, form)}
        r = requests.post(url, data=form, headers=headers, timeout=120)
        assert r.status_code == 200, r.text
        return "\n\n".join(m["body"] for m in self.api.sent_to(self.number)[before:])


class Telegram:
    """A parent's private Telegram chat, talking to the stack through Update JSON."""

    def __init__(self, stack, api) -> None:
        self.stack, self.api = stack, api
        self.chat_id = random.randrange(10**9, 2 * 10**9)
        self.sender = telegram_id(KEY, self.chat_id)
        self.planted = [str(self.chat_id)]

    def say(self, text: str) -> str:
        url = f"{self.stack.rasa_url}/webhooks/telegram/webhook"
        before = len(self.api.sent_to(self.chat_id))
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM["TELEGRAM_SECRET_TOKEN"]}
        r = requests.post(url, json=telegram_update(self.chat_id, text), headers=headers, timeout=120)
        assert r.status_code == 200, r.text
        return "\n\n".join(m["text"] for m in self.api.sent_to(self.chat_id)[before:])


@pytest.fixture(params=["whatsapp", "telegram"])
def parent(request, stack, fake_twilio, fake_telegram):
    return WhatsApp(stack, fake_twilio) if request.param == "whatsapp" else Telegram(stack, fake_telegram)


def option(text: str, title: str) -> str:
    """The number of a shown option ("3. Yes, tell me more")."""
    found = re.search(rf"^(\d+)\. {re.escape(title)}$", text, re.MULTILINE)
    assert found, f"no option {title!r} in: {text[-400:]}"
    return found.group(1)


def reports_table(stack) -> str:
    conn = sqlite3.connect(f"file:{stack.tracker_db}?mode=ro", uri=True, timeout=10)
    try:
        return repr(conn.execute("SELECT * FROM tell_school_reports").fetchall())
    finally:
        conn.close()


def server_log(stack) -> str:
    return "\n".join(p.read_text(errors="replace") for p in Path(stack.log_dir).glob("*.log"))


def test_a_parent_tells_school_by_number_and_reads_the_reply(parent, stack, mail_server):
    mark = "prt" + uuid.uuid4().hex[:10]
    first = parent.say(DISCLOSURE)
    assert "Report Remove" in first and OFFER in first
    assert first.index("Report Remove") < first.index(OFFER), "the safety answer comes first, the offer after it"
    explained = parent.say(option(first, "Yes, tell me more"))
    assert EXPLAINED in explained and "999" in explained and "act to keep them safe" in explained
    assert WRITE in parent.say(option(explained, "Write my message"))
    message = f"My son Tom in 8C is being asked for pictures by an older boy ({mark})"
    confirmation = parent.say(message)
    assert f"\n\n{message}\n\n" in confirmation and "Do you want to send it?" in confirmation
    mails = len(mail_server.messages)
    sent = parent.say(option(confirmation, "Send it"))
    phrase = PHRASE.search(sent).group(1)

    [(to, mail)] = [m for m in mail_server.messages[mails:] if mark in m[1].get_content()]
    assert to == ["dsl@school.example"] and "parent or carer" in mail.get_content()
    page = inbox(stack).text
    [number] = [int(a.split('"')[0]) for a in page.split('id="report-')[1:] if mark in a.split("</article>")[0]]
    for planted in parent.planted + [parent.sender]:  # reports are anonymous: no number, chat id or conversation id
        assert planted not in mail.as_string() and planted not in page and planted not in reports_table(stack)

    # The message never became a Rasa turn: not in the tracker store, its API or the logs; the audit line has no text.
    assert mark not in tracker_rows(stack, parent.sender) and tracker_rows(stack, parent.sender) != "[]"
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/{parent.sender}/tracker", params={"token": stack.token}, timeout=30
    ).json()
    assert tracker["events"] and mark not in repr(tracker)
    log = server_log(stack)
    assert f"tell-school: report #{number} saved in the inbox (parent)" in log
    assert f"tell-school: report #{number} emailed to the DSL" in log
    assert mark not in log and "older boy" not in log

    assert "waiting for the designated safeguarding lead" in parent.say(phrase)
    answer = "Thank you. Please ring the school office and ask for Ms Khan."
    assert dsl_post(stack, f"{number}/reply", check=form_check(DSL_TOKEN), reply=answer).ok
    assert answer in parent.say(phrase.replace("-", " "))


def test_a_parent_can_type_the_options_words(parent, stack, mail_server):
    mark = "wrd" + uuid.uuid4().hex[:10]
    assert OFFER in parent.say(DISCLOSURE)
    assert EXPLAINED in parent.say("Yes please")
    assert WRITE in parent.say("write")
    first = f"Please call me about my daughter {mark}"
    assert first in parent.say(first)
    assert WRITE in parent.say("Change it")
    message = f"Please call me about my daughter, Sam in year 9 ({mark})"
    assert message in parent.say(message)
    mails = len(mail_server.messages)
    assert PHRASE.search(parent.say("send it!"))
    assert [m for m in mail_server.messages[mails:] if message in m[1].get_content()]
    assert first not in inbox(stack).text and message in inbox(stack).text


def test_declining_sends_nothing_and_the_offer_is_not_made_again(parent, stack, mail_server):
    first = parent.say(DISCLOSURE)
    assert OFFER in first
    mails, page = len(mail_server.messages), inbox(stack).text
    assert "Nothing was sent" in parent.say("No thanks")
    assert OFFER not in parent.say("someone shared a nude photo of my son")
    assert len(mail_server.messages) == mails and inbox(stack).text == page


def test_typed_words_pick_an_option_only_right_after_it_is_shown(parent, stack):
    assert OFFER in parent.say(DISCLOSURE)
    asked = parent.say("how do I talk to my son about nudes")
    assert EXPLAINED not in parent.say("yes") and EXPLAINED not in asked


def test_not_sending_at_the_confirmation_sends_nothing(parent, stack, mail_server):
    mark = "cnl" + uuid.uuid4().hex[:10]
    first = parent.say(DISCLOSURE)
    explained = parent.say(option(first, "Yes, tell me more"))
    parent.say(option(explained, "Write my message"))
    confirmation = parent.say(f"I am worried about a boy in year 10 ({mark})")
    mails = len(mail_server.messages)
    assert "Nothing was sent" in parent.say(option(confirmation, "Don't send"))
    assert len(mail_server.messages) == mails and mark not in inbox(stack).text and mark not in reports_table(stack)
