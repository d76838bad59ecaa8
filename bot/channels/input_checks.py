"""Checks on what a channel receives, shared by every input channel.

Each check returns a clean value or raises BadInput with a 4xx status and a plain reason.
"""

from __future__ import annotations

import re
import unicodedata

from bot.answers.audience import parse_age, parse_audience

MAX_TEXT = 2000  # characters a person can reasonably type in one message
MAX_SENDER = 128
SENDER_RE = re.compile(r"^[A-Za-z0-9_.:@+\-]{1,128}$")


class BadInput(ValueError):
    """Input a channel refuses, with the HTTP status to answer."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def clean_sender(sender) -> str:
    """A sender id: a short string of safe characters."""
    if isinstance(sender, bool) or not isinstance(sender, (str, int)):
        raise BadInput("sender must be a string")
    sender = str(sender)
    if len(sender) > MAX_SENDER:
        raise BadInput(f"sender must be at most {MAX_SENDER} characters")
    if not SENDER_RE.match(sender):
        raise BadInput("sender may only hold letters, digits and _ . : @ + -")
    return sender


def clean_text(text) -> str | None:
    """The message text without control characters; None when nothing readable is left."""
    if not isinstance(text, str):
        raise BadInput("message must be a string")
    if len(text) > MAX_TEXT:
        raise BadInput(f"message must be at most {MAX_TEXT} characters", status=413)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())
    return text or None


def clean_metadata(metadata) -> dict:
    """Only the metadata the assistant uses (audience, age); anything else is dropped, not stored."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise BadInput("metadata must be a JSON object")
    out = {}
    audience = parse_audience(metadata.get("audience"))
    if audience:
        out["audience"] = audience
    raw_age = metadata.get("age")
    age = None if isinstance(raw_age, str) and not raw_age.isdigit() else parse_age(raw_age)
    if age is not None:
        out["age"] = age
    return out
