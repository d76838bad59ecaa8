"""Telegram, end to end: Update JSON into the real Rasa server, replies read from the fake Bot API
(tests/fakes.py) as a parent would receive them."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bot.answers.answering import follow_up_buttons, system_text, system_texts
from bot.answers.safety import render_media
from bot.channels.conversation_ids import telegram_id
from bot.channels.plain_text import TELEGRAM_LIMIT
from bot.channels.telegram import SECRET_HEADER
from tests.channels.helpers import fits, parent_answer_id, stored_events, telegram_update, user_events
from tests.conftest import TELEGRAM

pytestmark = pytest.mark.e2e
SECRET = TELEGRAM["TELEGRAM_SECRET_TOKEN"]
KEY = TELEGRAM["CONVERSATION_ID_KEY"]


def webhook(stack) -> str:
    return f"{stack.rasa_url}/webhooks/telegram/webhook"


def new_chat() -> int:
    return random.randrange(10**9, 2 * 10**9)


def post(stack, update, secret: str | None = SECRET, data: bytes | None = None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    if data is None:
        return requests.post(webhook(stack), json=update, headers=headers, timeout=120)
    return requests.post(webhook(stack), data=data, headers=headers, timeout=120)


def ask(stack, fake_telegram, chat_id: int, text=None, **extra) -> list:
    before = len(fake_telegram.sent_to(chat_id))
    r = post(stack, telegram_update(chat_id, text, **extra))
    assert r.status_code == 200, r.text
    texts = [m["text"] for m in fake_telegram.wait_for(before + 1, timeout=10, to=chat_id)[before:]]
    fits(texts, TELEGRAM_LIMIT)
    return texts


def test_a_parents_question_gets_a_parent_answer_and_numbers_work(stack, fake_telegram):
    chat_id = new_chat()
    first = ask(stack, fake_telegram, chat_id, "how do I talk to my son about nudes")
    answer = parent_answer_id(first[0])
    assert answer not in (None, "out_of_scope"), first
    title, payload = follow_up_buttons(answer)[0]
    assert f"\n1. {title}" in first[0]
    second = ask(stack, fake_telegram, chat_id, "1")
    assert parent_answer_id(second[0]) == payload.lstrip("/")


def test_wrong_secret_is_refused_before_any_conversation(stack, fake_telegram):
    chat_id = new_chat()
    update = telegram_update(chat_id, "how do I talk to my son about nudes")
    for secret in (None, "", "not-the-secret"):
        assert post(stack, update, secret=secret).status_code == 403
    assert stored_events(stack, telegram_id(KEY, chat_id)) == 0
    assert user_events(stack, telegram_id(KEY, chat_id)) == []
    assert fake_telegram.sent_to(chat_id) == []


def test_photo_gets_the_media_text(stack, fake_telegram):
    chat_id = new_chat()
    photo = [{"file_id": "AgACAgQAAxkBAAIB", "file_unique_id": "AQADx", "file_size": 1200, "width": 90, "height": 67}]
    texts = ask(stack, fake_telegram, chat_id, photo=photo)
    assert texts == [render_media("parent")]
    assert "can't see or keep" in texts[0] and all(n in texts[0] for n in ("Report Remove", "CEOP", "NSPCC"))
    assert not [r for r in fake_telegram.requests if "getFile" in r["path"] or r["path"].startswith("/file/")]
    assert user_events(stack, telegram_id(KEY, chat_id)) == []


def test_edited_messages_and_malformed_json(stack, fake_telegram):
    chat_id = new_chat()
    assert post(stack, telegram_update(chat_id, "hello", kind="edited_message")).status_code == 200
    assert post(stack, None, data=b'{"update_id": 1, "message": ').status_code == 400
    assert fake_telegram.sent_to(chat_id) == []
    assert user_events(stack, telegram_id(KEY, chat_id)) == []


@pytest.mark.parametrize(
    "text", ["/start", "\U0001f44d", "\u0645\u0631\u062d\u0628\u0627", "Dzie\u0144 dobry, mam pytanie"]
)
def test_start_emoji_and_other_languages_get_a_polite_answer(stack, fake_telegram, text):
    texts = ask(stack, fake_telegram, new_chat(), text)
    assert texts and system_text("apology") not in texts


def test_start_greets_a_parent_without_asking_who_they_are(stack, fake_telegram):
    [text] = ask(stack, fake_telegram, new_chat(), "/start")
    assert parent_answer_id(text) == "greet", text
    assert system_texts()["ask_audience"]["text"] not in text


def test_flooding_one_chat_limits_only_that_chat(stack, fake_telegram):
    flood, other = new_chat(), new_chat()
    with ThreadPoolExecutor(max_workers=15) as pool:
        statuses = list(
            pool.map(lambda u: post(stack, u).status_code, [telegram_update(flood, "hello") for _ in range(15)])
        )
    assert statuses == [200] * 15
    texts = [m["text"] for m in fake_telegram.sent_to(flood)]
    assert texts.count(system_text("rate_limited")) == 1
    assert system_text("rate_limited") not in ask(stack, fake_telegram, other, "how do I talk to my son about nudes")
