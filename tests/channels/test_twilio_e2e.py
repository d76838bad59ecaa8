"""WhatsApp through Twilio, end to end: signed form webhooks into the real Rasa server, replies read from the
fake Twilio API (tests/fakes.py) as a parent would receive them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bot.answers.answering import follow_up_buttons, system_text
from bot.answers.safety import render_media
from bot.channels.conversation_ids import twilio_id
from bot.channels.plain_text import TWILIO_LIMIT
from tests.channels.helpers import (
    fits,
    new_number,
    parent_answer_id,
    sign,
    stored_events,
    twilio_form,
    user_events,
)
from tests.conftest import TWILIO

pytestmark = pytest.mark.e2e
TOKEN = TWILIO["TWILIO_AUTH_TOKEN"]
KEY = TWILIO["CONVERSATION_ID_KEY"]
OUR_NUMBER = TWILIO["TWILIO_NUMBER"]


def webhook(stack) -> str:
    return f"{stack.rasa_url}/webhooks/twilio/webhook"


def post(stack, form: dict, signature: str | None = "sign") -> requests.Response:
    headers = {}
    if signature == "sign":
        signature = sign(TOKEN, webhook(stack), form)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return requests.post(webhook(stack), data=form, headers=headers, timeout=120)


def ask(stack, fake_twilio, number: str, body: str, **form_extra) -> list:
    """Send one WhatsApp message; the bodies Twilio was asked to send back to that number."""
    before = len(fake_twilio.sent_to(number))
    r = post(stack, twilio_form(number, body, to=OUR_NUMBER, account_sid=TWILIO["TWILIO_ACCOUNT_SID"], **form_extra))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/xml") and "<Response/>" in r.text
    sent = fake_twilio.wait_for(before + 1, timeout=10, to=number)[before:]
    bodies = [m["body"] for m in sent]
    fits(bodies, TWILIO_LIMIT)
    return bodies


def test_a_parents_question_gets_a_parent_answer(stack, fake_twilio):
    number = new_number()
    bodies = ask(stack, fake_twilio, number, "how do I talk to my son about nudes")
    answer = parent_answer_id(bodies[0])
    assert answer not in (None, "out_of_scope"), bodies
    assert "Reply 1" in bodies[0] and "\n1. " in bodies[0]  # follow-ups as numbered options, no buttons
    assert all(m["from"] == OUR_NUMBER for m in fake_twilio.sent_to(number))


def test_a_numbered_reply_follows_the_first_button(stack, fake_twilio):
    number = new_number()
    first = ask(stack, fake_twilio, number, "how do I talk to my son about nudes")
    answer = parent_answer_id(first[0])
    title, payload = follow_up_buttons(answer)[0]
    assert f"\n1. {title}" in first[0]
    second = ask(stack, fake_twilio, number, "1")
    assert parent_answer_id(second[0]) == payload.lstrip("/")


def test_bad_signature_is_refused_before_any_conversation(stack, fake_twilio):
    number = new_number()
    form = twilio_form(number, "how do I talk to my son about nudes", to=OUR_NUMBER)
    for signature in (None, "", sign("not-the-token", webhook(stack), form)):
        assert post(stack, form, signature).status_code == 403
    tampered = dict(form, Body="something else")
    assert post(stack, tampered, sign(TOKEN, webhook(stack), form)).status_code == 403
    sender = twilio_id(KEY, number)
    assert stored_events(stack, sender) == 0
    assert user_events(stack, sender) == []
    assert fake_twilio.sent_to(number) == []


def test_media_gets_the_media_text_and_is_never_downloaded(stack, fake_twilio):
    number = new_number()
    media_path = f"/2010-04-01/Accounts/{TWILIO['TWILIO_ACCOUNT_SID']}/Messages/MM0001/Media/ME0001"
    bodies = ask(stack, fake_twilio, number, "", media=[(fake_twilio.url + media_path, "image/jpeg")])
    assert bodies == [render_media("parent")]
    text = bodies[0]
    assert "can't see or keep" in text
    assert all(name in text for name in ("Report Remove", "CEOP", "NSPCC"))
    assert not [r for r in fake_twilio.requests if r["method"] == "GET" or r["path"] == media_path]
    assert user_events(stack, twilio_id(KEY, number)) == []  # the picture never reached Rasa


@pytest.mark.parametrize(
    "text",
    [
        "\U0001f44d\U0001f642",
        "\u0643\u064a\u0641 \u0623\u062a\u062d\u062f\u062b "
        "\u0645\u0639 \u0627\u0628\u0646\u064a \u0639\u0646 \u0627\u0644\u0635\u0648\u0631\u061f",
        "Jak mam rozmawia\u0107 z synem o nagich zdj\u0119ciach?",
    ],
)
def test_emoji_and_other_languages_get_a_polite_answer(stack, fake_twilio, text):
    bodies = ask(stack, fake_twilio, new_number(), text)
    assert bodies and system_text("apology") not in bodies
    # A parent answer, the "didn't get that" answer, or (the model reads little Arabic) the parent help routes.
    assert any(parent_answer_id(b) or b == system_text("unclear") or "0808 800 5000" in b for b in bodies), bodies


def test_a_disclosure_arrives_whole_and_in_order(stack, fake_twilio):
    bodies = ask(stack, fake_twilio, new_number(), "someone has shared a nude photo of my 14 year old daughter")
    assert len(bodies) == 1  # Rasa cuts the answer at blank lines; WhatsApp gets it as one message, in order
    text = bodies[0]
    assert "Report Remove" in text and "999" in text and "NSPCC" in text
    assert text.index("not to blame") < text.index("Where to get help") < text.index("I'm a bot")


def test_flooding_one_sender_limits_only_that_sender(stack, fake_twilio):
    flood, other = new_number(), new_number()
    form = lambda: twilio_form(flood, "hello", to=OUR_NUMBER)  # noqa: E731
    with ThreadPoolExecutor(max_workers=15) as pool:
        statuses = list(pool.map(lambda f: post(stack, f).status_code, [form() for _ in range(15)]))
    assert statuses == [200] * 15
    limit_text = system_text("rate_limited")
    bodies = [m["body"] for m in fake_twilio.sent_to(flood)]
    assert bodies.count(limit_text) == 1
    assert 1 <= len(bodies) - 1 <= 12  # about the burst of 10, nothing for the rest
    assert limit_text not in ask(stack, fake_twilio, other, "how do I talk to my son about nudes")


def test_forget_by_phone_number_deletes_the_conversation(stack, fake_twilio):
    """`make forget PHONE=07700 900123`, as a school would run it after an erasure request."""
    import subprocess
    import sys

    from bot.serve import ROOT, base_env

    number = new_number()
    ask(stack, fake_twilio, number, "how do I talk to my son about nudes")
    sender = twilio_id(KEY, number)
    assert stored_events(stack, sender) > 0
    national = "0" + number.removeprefix("whatsapp:+44")
    url = f"sqlite:///{stack.tracker_db}"
    command = [sys.executable, "-m", "bot.privacy.retention", "--url", url, "forget", "--phone", national]
    done = subprocess.run(
        command, cwd=ROOT, env=base_env(CONVERSATION_ID_KEY=KEY), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "forgot 1 conversation(s)" in done.stdout and national not in done.stdout
    assert stored_events(stack, sender) == 0
