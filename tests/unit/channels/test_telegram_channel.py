"""VerifiedTelegramInput in process, with a stand-in for Rasa and the fake Telegram API: no Rasa server needed."""

from __future__ import annotations

import json
import random

import pytest
from multidict import CIMultiDict

from bot.answers.answering import system_text
from bot.answers.routes import SITUATIONS
from bot.answers.safety import render, render_media
from bot.channels.conversation_ids import telegram_id
from bot.channels.plain_text import TELEGRAM_LIMIT
from bot.channels.rate_limit import RateLimiter
from bot.channels.telegram import (
    SECRET_HEADER,
    START_PAYLOAD,
    TelegramSettings,
    VerifiedTelegramInput,
    command_text,
    secret_ok,
)
from tests.channels.helpers import FakeRasa, Request, run, telegram_update
from tests.fakes import FakeTelegramAPI

TOKEN = "999:unit-test-token"
GREETING = START_PAYLOAD + '{"audience": "parent"}'
SECRET = "unit-test-secret"
KEY = "unit-test-id-key"


@pytest.fixture(scope="module")
def api():
    fake = FakeTelegramAPI(token=TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def channel(api):
    api.clear()
    settings = TelegramSettings(
        token=TOKEN, secret_token=SECRET, bot_username="school_helper_bot", api_url=api.url, id_key=KEY
    )
    return VerifiedTelegramInput(settings, limiter=RateLimiter(per_minute=10))


def chat() -> int:
    return random.randrange(10**8, 10**9)


def post(channel, update, rasa, secret=SECRET, raw=None):
    headers = CIMultiDict({"Content-Type": "application/json"})
    if secret is not None:
        headers[SECRET_HEADER] = secret
    body = raw if raw is not None else json.dumps(update).encode("utf-8")
    return run(channel.handle(Request(body, headers, path="/webhooks/telegram/webhook"), rasa))


def test_secret_check():
    assert secret_ok("s3cret", "s3cret")
    assert not secret_ok("s3cret", "s3cre")
    assert not secret_ok("s3cret", None)
    assert not secret_ok("", "")


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
def test_wrong_or_missing_secret_is_403_before_any_conversation(channel, api, secret):
    rasa = FakeRasa()
    reply = post(channel, telegram_update(chat(), "hello"), rasa, secret=secret)
    assert reply.status == 403
    assert rasa.received == [] and api.messages == [] and len(channel.limiter) == 0


def test_unconfigured_channel_answers_503():
    rasa = FakeRasa()
    channel = VerifiedTelegramInput(TelegramSettings.from_env({"TELEGRAM_TOKEN": TOKEN}))
    assert post(channel, telegram_update(chat(), "hello"), rasa).status == 503
    assert rasa.received == []


def test_settings_from_env():
    settings = TelegramSettings.from_env(
        {
            "TELEGRAM_TOKEN": TOKEN,
            "TELEGRAM_SECRET_TOKEN": SECRET,
            "TELEGRAM_VERIFY": "@school_helper_bot",
            "CONVERSATION_ID_KEY": KEY,
        }
    )
    assert settings.configured and settings.bot_username == "school_helper_bot"
    assert settings.api_url == "https://api.telegram.org" and settings.audience == "parent"


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_malformed_json_is_400(channel, raw):
    rasa = FakeRasa()
    assert post(channel, None, rasa, raw=raw).status == 400
    assert rasa.received == []


def test_a_message_gets_a_plain_text_answer(channel, api):
    chat_id = chat()
    buttons = [{"title": "What is consent?", "payload": "/consent_what_is"}]
    rasa = FakeRasa(lambda text: [{"text": "Here is how.", "buttons": buttons}])
    reply = post(channel, telegram_update(chat_id, "How do I talk to my son about nudes?"), rasa)
    assert reply.status == 200
    [message] = rasa.received
    assert message.sender_id == telegram_id(KEY, chat_id) and str(chat_id) not in message.sender_id
    assert message.metadata == {"audience": "parent"} and message.input_channel == "telegram"
    assert message.text == "How do I talk to my son about nudes?"
    assert [m["text"] for m in api.sent_to(chat_id)] == ["Here is how.\n\nReply 1:\n1. What is consent?"]


def test_a_number_follows_the_button(channel):
    chat_id = chat()
    rasa = FakeRasa(
        lambda text: [{"text": "A.", "buttons": [{"title": "X", "payload": "/x"}, {"title": "Y", "payload": "/y"}]}]
    )
    post(channel, telegram_update(chat_id, "question"), rasa)
    post(channel, telegram_update(chat_id, "2"), rasa)
    assert [m.text for m in rasa.received] == ["question", '/y{"audience": "parent"}']


@pytest.mark.parametrize("kind", ["edited_message", "channel_post", "callback_query", "my_chat_member"])
def test_other_update_types_are_ignored(channel, api, kind):
    rasa = FakeRasa()
    reply = post(channel, telegram_update(chat(), "hello", kind=kind), rasa)
    assert reply.status == 200
    assert rasa.received == [] and api.messages == []


def test_group_chats_and_bots_are_ignored(channel, api):
    rasa = FakeRasa()
    group = telegram_update(-100123, "hello")
    group["message"]["chat"] = {"id": -100123, "type": "group", "title": "Class parents"}
    from_bot = telegram_update(chat(), "hello")
    from_bot["message"]["from"]["is_bot"] = True
    assert post(channel, group, rasa).status == 200
    assert post(channel, from_bot, rasa).status == 200
    assert rasa.received == [] and api.messages == []


def test_a_message_without_a_chat_is_400(channel):
    update = telegram_update(chat(), "hello")
    del update["message"]["chat"]
    assert post(channel, update, FakeRasa()).status == 400


@pytest.mark.parametrize(
    "media",
    [
        {"photo": [{"file_id": "AgAD", "file_unique_id": "u1", "width": 90, "height": 90}]},
        {"video": {"file_id": "BAAD", "file_unique_id": "u2", "duration": 3}},
        {"voice": {"file_id": "AwAD", "file_unique_id": "u3", "duration": 2}},
        {"document": {"file_id": "BQAD", "file_unique_id": "u4"}},
        {"sticker": {"file_id": "CAAD", "file_unique_id": "u5", "type": "regular"}},
    ],
)
def test_media_gets_the_media_text_and_is_never_fetched(channel, api, media):
    chat_id = chat()
    rasa = FakeRasa()
    post(channel, telegram_update(chat_id, **media), rasa)
    assert rasa.received == []
    assert [m["text"] for m in api.sent_to(chat_id)] == [render_media("parent")]
    assert [r["path"] for r in api.requests] == [f"/bot{TOKEN}/sendMessage"]  # no getFile, no download


def test_a_caption_is_answered_after_the_media_text(channel, api):
    chat_id = chat()
    rasa = FakeRasa()
    post(channel, telegram_update(chat_id, caption="is this legal?", photo=[{"file_id": "x"}]), rasa)
    assert [m.text for m in rasa.received] == ["is this legal?"]
    assert [m["text"] for m in api.sent_to(chat_id)] == [render_media("parent") + "\n\nAn answer."]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/start", GREETING),
        ("/start@school_helper_bot", GREETING),
        ("/start ref123", GREETING),
        ("/help", "help"),
        ("/help@school_helper_bot", "help"),
    ],
)
def test_commands(channel, text, expected):
    rasa = FakeRasa()
    post(channel, telegram_update(chat(), text), rasa)
    assert [m.text for m in rasa.received] == [expected]


def test_command_text():
    assert command_text("hello", "b") == "hello"
    assert command_text("/start@other_bot", "school_helper_bot") == "/start@other_bot"
    assert command_text("/START", "") == START_PAYLOAD


def test_empty_and_too_long(channel, api):
    chat_id = chat()
    rasa = FakeRasa()
    post(channel, telegram_update(chat_id, location={"latitude": 51.5, "longitude": -0.1}), rasa)
    post(channel, telegram_update(chat_id, "y" * 4000), rasa)
    assert rasa.received == []
    assert [m["text"] for m in api.sent_to(chat_id)] == [system_text("unclear"), system_text("too_long")]


def test_long_answers_are_split_at_4096(channel, api):
    chat_id = chat()
    long_answer = "\n\n".join(render(s, "parent", None) for s in SITUATIONS) * 2
    assert len(long_answer) > TELEGRAM_LIMIT
    post(channel, telegram_update(chat_id, "everything"), FakeRasa(lambda text: [{"text": long_answer}]))
    sent = [m["text"] for m in api.sent_to(chat_id)]
    assert len(sent) >= 2 and all(len(t) <= TELEGRAM_LIMIT for t in sent)
    assert all(t.endswith((".", "!", "?")) for t in sent)


def test_flooding_chat_gets_one_notice_others_still_answered(channel, api):
    flood, other = chat(), chat()
    rasa = FakeRasa()
    for _ in range(13):
        post(channel, telegram_update(flood, "hello"), rasa)
    post(channel, telegram_update(other, "hello"), rasa)
    assert [m["text"] for m in api.sent_to(flood)] == ["An answer."] * 10 + [system_text("rate_limited")]
    assert [m["text"] for m in api.sent_to(other)] == ["An answer."]


def test_no_message_text_chat_id_or_token_in_logs(channel, caplog):
    caplog.set_level("DEBUG", logger="bot.channels")
    first, second = chat(), chat()
    post(channel, telegram_update(first, "my private worry"), FakeRasa(fail=True))
    settings = TelegramSettings(token=TOKEN, secret_token=SECRET, api_url="http://127.0.0.1:9", id_key=KEY)
    post(VerifiedTelegramInput(settings), telegram_update(second, "my private worry"), FakeRasa())
    logged = caplog.text
    assert "private worry" not in logged and TOKEN not in logged
    assert str(first) not in logged and str(second) not in logged
    assert "turn for tg#" in logged and "send to tg#" in logged
