"""Malformed bodies and wrong types on the messaging webhooks: a clean 4xx, or a polite plain-text answer
without a turn, never a 500 and never a wrong type handed to Rasa."""

from __future__ import annotations

import json

import pytest
from multidict import CIMultiDict

from bot.answers.answering import system_text
from bot.channels.rate_limit import RateLimiter
from bot.channels.telegram import SECRET_HEADER, TelegramSettings, VerifiedTelegramInput
from bot.channels.twilio import TwilioSettings, VerifiedTwilioInput
from tests.channels.helpers import FakeRasa, Request, form_request, new_number, run, sign, telegram_update, twilio_form
from tests.fakes import FakeTelegramAPI, FakeTwilioAPI

SID, TOKEN = "AC" + "0" * 32, "test-twilio-auth-token"
TWILIO_BASE = "https://bot.example.org"
TWILIO_URL = TWILIO_BASE + "/webhooks/twilio/webhook"
TG_TOKEN, TG_SECRET = "123456:TEST-telegram-token", "test-telegram-secret"


@pytest.fixture(scope="module")
def twilio():
    api = FakeTwilioAPI(auth_token=TOKEN).start()
    settings = TwilioSettings(
        account_sid=SID,
        auth_token=TOKEN,
        number="whatsapp:+447700900000",
        webhook_base=TWILIO_BASE,
        api_url=api.url,
        id_key="unit-test-id-key",
    )
    yield VerifiedTwilioInput(settings, limiter=RateLimiter(per_minute=1000)), api
    api.stop()


@pytest.fixture(scope="module")
def telegram():
    api = FakeTelegramAPI(token=TG_TOKEN).start()
    settings = TelegramSettings(
        token=TG_TOKEN, secret_token=TG_SECRET, bot_username="school_helper_bot", api_url=api.url, id_key="k"
    )
    yield VerifiedTelegramInput(settings, limiter=RateLimiter(per_minute=1000)), api
    api.stop()


def with_message(**fields) -> dict:
    update = telegram_update(123456789, "hello")
    update["message"].update(fields)
    return update


# (name, the Update as a JSON-able value, expected status, whether the person gets the "unclear" text)
TELEGRAM_CASES = [
    ("text is a number", with_message(text=12345), 200, True),
    ("text is a list", with_message(text=["hi"]), 200, True),
    ("text is an object", with_message(text={"a": 1}), 200, True),
    ("caption is an object and no text", with_message(text=None, caption={"a": 1}), 200, True),
    ("chat id is a string", with_message(chat={"id": "123", "type": "private"}), 400, False),
    ("chat id is true", with_message(chat={"id": True, "type": "private"}), 400, False),
    ("chat is a list", with_message(chat=[1, 2]), 400, False),
    ("chat missing", {"update_id": 1, "message": {"message_id": 1, "text": "hi"}}, 400, False),
    ("message is a list", {"update_id": 1, "message": [1, 2]}, 200, False),
    ("message is a string", {"update_id": 1, "message": "hi"}, 200, False),
    ("from is a string", with_message(**{"from": "someone"}), 200, False),
]


@pytest.mark.parametrize("name,update,status,unclear", TELEGRAM_CASES, ids=[c[0] for c in TELEGRAM_CASES])
def test_telegram_wrong_types(telegram, name, update, status, unclear):
    channel, api = telegram
    api.clear()
    rasa = FakeRasa()
    headers = CIMultiDict({"Content-Type": "application/json", SECRET_HEADER: TG_SECRET})
    reply = run(channel.handle(Request(json.dumps(update).encode(), headers, path="/webhooks/telegram/webhook"), rasa))
    assert reply.status == status, name
    assert all(isinstance(m.text, str) and m.text for m in rasa.received)
    if unclear:
        assert rasa.received == [] and [m["text"] for m in api.messages] == [system_text("unclear")]


def raw_twilio(body: bytes, signature: str = "not-a-signature") -> Request:
    headers = CIMultiDict({"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    return Request(body, headers)


def signed(form: dict) -> Request:
    return form_request(form, sign(TOKEN, TWILIO_URL, form))


def without(form: dict, key: str) -> dict:
    return {k: v for k, v in form.items() if k != key}


TWILIO_CASES = [
    ("invalid UTF-8 body", raw_twilio(b"Body=\xff\xfe&From=whatsapp%3A%2B447700900001"), 403),
    ("binary body", raw_twilio(b"\x89PNG\r\n\x1a\n\x00\x00"), 403),
    ("JSON instead of a form", raw_twilio(b'{"Body": "hi"}'), 403),
    ("From missing", signed(without(twilio_form(new_number(), "hi"), "From")), 400),
    ("From over-long", signed({**twilio_form(new_number(), "hi"), "From": "whatsapp:+" + "4" * 100}), 400),
    ("Body missing", signed(without(twilio_form(new_number(), "hi"), "Body")), 200),
    ("NumMedia not a number", signed({**twilio_form(new_number(), "hi"), "NumMedia": "lots"}), 200),
]


@pytest.mark.parametrize("name,request_,status", TWILIO_CASES, ids=[c[0] for c in TWILIO_CASES])
def test_twilio_malformed_bodies(twilio, name, request_, status):
    channel, api = twilio
    api.clear()
    rasa = FakeRasa()
    request_.path = "/webhooks/twilio/webhook"
    reply = run(channel.handle(request_, rasa))
    assert reply.status == status, name
    if status >= 400:
        assert rasa.received == [] and api.messages == []
    else:
        assert all(isinstance(m.text, str) and m.text for m in rasa.received)
        assert api.messages and all(m["body"] for m in api.messages)
