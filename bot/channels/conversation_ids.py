"""Conversation ids for the messaging channels: a keyed hash of the phone number or chat id, never the number.

The key is its own setting, CONVERSATION_ID_KEY, so that rotating the Twilio or Telegram token does not orphan
conversations. `make forget PHONE=...` and `make forget TELEGRAM=...` find a conversation by the same hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import List, Mapping

from bot.settings import settings

KEY_SETTING = "CONVERSATION_ID_KEY"
_DIGITS = re.compile(r"\+?\d{6,15}")


def id_key(env: Mapping[str, str] | None = None) -> str:
    """The key the channels hash ids with ("" when it is not set)."""
    return settings(env).conversation_id_key


def _hash(key: str, value: str) -> str:
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()[:24]


def twilio_id(key: str, number: str) -> str:
    """The conversation id for Twilio's `From` (`whatsapp:+447700900123`, or `+447700900123` by SMS)."""
    return "tw-" + _hash(key, number)


def telegram_id(key: str, chat_id: int | str) -> str:
    """The conversation id for a Telegram chat."""
    return "tg-" + _hash(key, str(chat_id))


def international(number: str) -> str:
    """A phone number as +<country><number>: UK numbers may be given as 07700 900123 (ValueError if not a number)."""
    text = re.sub(r"[\s().-]", "", number.strip())
    text = text[len("whatsapp:") :] if text.lower().startswith("whatsapp:") else text
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("0"):
        text = "+44" + text[1:]
    elif not text.startswith("+"):
        text = "+" + text
    if not _DIGITS.fullmatch(text):
        raise ValueError(f"not a phone number: {number!r}")
    return text


def phone_ids(key: str, number: str) -> List[str]:
    """The conversation ids of a phone number: as Twilio gives it for WhatsApp, and for SMS."""
    full = international(number)
    return [twilio_id(key, "whatsapp:" + full), twilio_id(key, full)]


def chat_id(text: str) -> int:
    """A Telegram chat id given as text (ValueError if it is not one)."""
    value = text.strip()
    if not re.fullmatch(r"-?\d{1,20}", value):
        raise ValueError(f"not a Telegram chat id: {text!r}")
    return int(value)
