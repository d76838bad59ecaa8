"""Shared helpers for the channel tests: a stand-in for Rasa, a request stub, Twilio signing, form payloads."""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from dataclasses import dataclass, field
from typing import Callable, List
from urllib.parse import urlencode

from multidict import CIMultiDict

from bot.channels.twilio import twilio_signature

_numbers = itertools.count(random.randrange(1000))


def new_number() -> str:
    """A WhatsApp sender in Ofcom's drama range (07700 900000 to 900999), different for each call."""
    return f"whatsapp:+447700900{next(_numbers) % 1000:03d}"


def twilio_form(
    sender: str,
    body: str = "",
    to: str = "whatsapp:+447700900000",
    account_sid: str = "AC" + "0" * 32,
    media: List[tuple] | None = None,
) -> dict:
    """The form fields Twilio posts for an incoming WhatsApp message (media: [(url, content type)])."""
    sid = "SM" + uuid.uuid4().hex
    form = {
        "SmsMessageSid": sid,
        "NumMedia": str(len(media or [])),
        "ProfileName": "Parent",
        "SmsSid": sid,
        "WaId": sender.split("+")[-1],
        "SmsStatus": "received",
        "Body": body,
        "To": to,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    for n, (url, content_type) in enumerate(media or []):
        form[f"MediaUrl{n}"] = url
        form[f"MediaContentType{n}"] = content_type
    return form


def sign(auth_token: str, url: str, form: dict) -> str:
    return twilio_signature(auth_token, url, form.items())


def telegram_update(chat_id: int, text: str | None = None, kind: str = "message", **extra) -> dict:
    """A Telegram Update with a private-chat message from a person."""
    message = {
        "message_id": random.randrange(1, 10**6),
        "date": 1767225600,
        "from": {"id": chat_id, "is_bot": False, "first_name": "Sam", "language_code": "en"},
        "chat": {"id": chat_id, "first_name": "Sam", "type": "private"},
    }
    if text is not None:
        message["text"] = text
    message.update(extra)
    return {"update_id": random.randrange(10**8, 10**9), kind: message}


@dataclass
class Request:
    """What the channels read from a Sanic request."""

    body: bytes
    headers: CIMultiDict
    path: str = "/webhooks/twilio/webhook"
    query_string: str = ""


def form_request(form: dict, signature: str | None) -> Request:
    headers = CIMultiDict({"Content-Type": "application/x-www-form-urlencoded"})
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return Request(urlencode(form).encode("utf-8"), headers)


@dataclass
class FakeRasa:
    """Stands in for Rasa's message handler: records each UserMessage and answers with `reply(text)`."""

    reply: Callable[[str], List[dict]] = lambda text: [{"text": "An answer."}]
    fail: bool = False
    received: list = field(default_factory=list)

    async def __call__(self, message) -> None:
        self.received.append(message)
        if self.fail:
            raise RuntimeError("turn failed")
        for r in self.reply(message.text):
            await message.output_channel.send_response(message.sender_id, dict(r))


def run(coro):
    return asyncio.run(coro)


# ---------------------------------------------------------------- end-to-end checks


def user_events(stack, sender: str) -> list:
    """The user and bot events Rasa holds for a conversation (GET /conversations/{id}/tracker)."""
    import requests

    r = requests.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.token}, timeout=30)
    if r.status_code == 404:
        return []
    r.raise_for_status()
    return [e for e in r.json().get("events") or [] if e.get("event") in ("user", "bot")]


def stored_events(stack, sender: str) -> int:
    """How many events the SQLite tracker store holds for a conversation."""
    import sqlite3

    with sqlite3.connect(stack.tracker_db) as db:
        if not db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='events'").fetchone():
            return 0
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def parent_answer_id(text: str) -> str | None:
    """The content entry whose parent variant a reply starts with, or None."""
    from bot.answers.content_library import answers, render_answer

    found = [aid for aid in answers() if text.startswith(render_answer(aid, "parent"))]
    return max(found, key=lambda aid: len(render_answer(aid, "parent"))) if found else None


def fits(texts, limit: int) -> None:
    """Each message is within the channel's limit and ends at a sentence end (or an option line)."""
    import re

    for text in texts:
        assert text and len(text) <= limit, len(text)
        last_line = text.rstrip().splitlines()[-1]
        assert re.search(r"[.!?)\"'\u201d\u2019]$", text.rstrip()) or re.match(r"\d+\. ", last_line), text[-80:]
