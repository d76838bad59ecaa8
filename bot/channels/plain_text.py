"""Plain text for channels without buttons (WhatsApp through Twilio, Telegram without keyboards).

Pure functions, plus `OptionMemory`, a small in-memory map from a sender to the payloads of the numbered
options they were last shown, so that a reply of "1", "2" or "3" follows the matching button.
"""

from __future__ import annotations

import json
import re
import time
from collections import OrderedDict
from typing import Callable, Iterable, List, Sequence, Tuple

TWILIO_LIMIT = 1600  # characters in one Twilio message body
TELEGRAM_LIMIT = 4096  # characters in one Telegram message

_MARKDOWN_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*(\S+?)\s*\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
# The end of a sentence: . ! ? (not a "1." list number or a decimal point), closing quotes, then white space.
_SENTENCE_END = re.compile(r"(?:(?<![0-9])\.|[!?\u2026\u061f\u3002])+[\"'\u201d\u2019)\]]*\s+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_PAYLOAD = re.compile(r"^(/[^{}@\s]+(?:@[0-9.]+)?)(\{.*\})?$", re.DOTALL)
_CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
_KEYCAP = dict.fromkeys(map(ord, "\ufe0f\u20e3"))


def text_length(text: str) -> int:
    """Length as the messaging APIs count it (UTF-16 code units): an emoji may count as two."""
    return len(text.encode("utf-16-le")) // 2


def links_as_text(text: str) -> str:
    """Markdown links as plain URLs ("label: url", or the URL alone), and **bold** as plain text."""

    def link(match: re.Match[str]) -> str:
        label, url = match.group(1).strip(), match.group(2)
        return url if not label or label == url else f"{label}: {url}"

    return _BOLD.sub(r"\1", _MARKDOWN_LINK.sub(link, text))


def options_prompt(numbers: Sequence[int]) -> str:
    """ "Reply 1:", "Reply 1 or 2:", "Reply 1, 2 or 3:"."""
    words = [str(n) for n in numbers]
    if len(words) == 1:
        return f"Reply {words[0]}:"
    return f"Reply {', '.join(words[:-1])} or {words[-1]}:"


def render_message(message: dict, first_number: int = 1) -> Tuple[str, List[str]]:
    """One Rasa reply as plain text, and the payloads of its numbered options (in order)."""
    parts = []
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        parts.append(links_as_text(text.strip()))
    payloads: List[str] = []
    lines: List[str] = []
    links: List[str] = []
    for button in list(message.get("buttons") or []) + list(message.get("quick_replies") or []):
        if not isinstance(button, dict):
            continue
        title = str(button.get("title") or "").strip()
        payload = button.get("payload")
        url = button.get("url")
        if isinstance(url, str) and url:
            links.append(f"{title}: {url}" if title else url)
        elif isinstance(payload, str) and payload:
            number = first_number + len(payloads)
            payloads.append(payload)
            lines.append(f"{number}. {title or payload}")
    if lines:
        numbers = range(first_number, first_number + len(payloads))
        parts.append("\n".join([options_prompt(list(numbers)), *lines]))
    parts += links
    for key in ("image", "attachment"):
        value = message.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            parts.append(value)
    return "\n\n".join(parts), payloads


def render_turn(messages: Iterable[dict]) -> Tuple[List[str], List[str]]:
    """A turn's replies as plain texts, numbering options across the whole turn, and all their payloads."""
    texts: List[str] = []
    payloads: List[str] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        text, more = render_message(message, first_number=len(payloads) + 1)
        payloads += more
        if text:
            texts.append(text)
    return texts, payloads


def _pieces(text: str) -> List[str]:
    """The text cut after each sentence end and each line break; joined again they give the text back."""
    pieces, start = [], 0
    for match in re.finditer(_SENTENCE_END.pattern + r"|\n+", text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _by_words(piece: str, limit: int, length: Callable[[str], int]) -> List[str]:
    """A piece longer than the limit, cut at spaces (a single word longer than the limit is cut as a last resort)."""
    chunks, current = [], ""
    for word in re.findall(r"\S+\s*", piece):
        while length(word.rstrip()) > limit:  # no space to cut at
            if current.strip():
                chunks.append(current)
                current = ""
            cut = limit
            while length(word[:cut]) > limit:
                cut -= 1
            chunks.append(word[:cut])
            word = word[cut:]
        if current and length((current + word).rstrip()) > limit:
            chunks.append(current)
            current = ""
        current += word
    if current.strip():
        chunks.append(current)
    return chunks


def _by_sentences(text: str, limit: int, length: Callable[[str], int]) -> List[str]:
    """A paragraph longer than the limit, cut at sentence ends or line breaks (at spaces inside a long sentence)."""
    chunks, current = [], ""
    for piece in _pieces(text):
        if length((current + piece).strip()) <= limit:
            current += piece
            continue
        if current.strip():
            chunks.append(current)
        current = ""
        if length(piece.strip()) <= limit:
            current = piece
        else:
            *whole, current = _by_words(piece, limit, length)
            chunks += whole
    if current.strip():
        chunks.append(current)
    return [c.strip() for c in chunks if c.strip()]


def split_text(text: str, limit: int, length: Callable[[str], int] = text_length) -> List[str]:
    """Messages of at most `limit` characters, cut between paragraphs where possible, else at sentence ends or
    line breaks; never inside a word."""
    text = text.strip()
    if length(text) <= limit:
        return [text] if text else []
    chunks, current = [], ""
    for paragraph in _PARAGRAPH_BREAK.split(text):
        joined = f"{current}\n\n{paragraph}" if current else paragraph
        if length(joined) <= limit:
            current = joined
            continue
        if current:
            chunks.append(current)
        current = paragraph
        if length(paragraph) > limit:
            *whole, current = _by_sentences(paragraph, limit, length)
            chunks += whole
    if current:
        chunks.append(current)
    return chunks


def with_entity(payload: str, name: str, value: str) -> str:
    """An intent payload ("/intent" or "/intent{...}") with one more entity, unless it already has that entity.

    Payloads skip the NLU pipeline, so the channel's audience is added here as typed messages get it there.
    """
    match = _PAYLOAD.match(payload)
    if not match:
        return payload
    try:
        entities = json.loads(match.group(2)) if match.group(2) else {}
    except ValueError:
        return payload
    if not isinstance(entities, dict) or name in entities:
        return payload
    return match.group(1) + json.dumps({**entities, name: value})


def choice_number(text: str | None) -> int | None:
    """The option a reply picks ("1", "2.", " 3 ", "1\ufe0f\u20e3", Arabic-Indic digits), or None."""
    if not isinstance(text, str):
        return None
    match = _CHOICE.match(text.translate(_KEYCAP))
    return int(match.group(1)) if match else None


def user_text(text: str | None, sender: str, memory: OptionMemory) -> str | None:
    """What to pass to Rasa for a person's text: a numbered reply becomes its option's payload; other text
    loses any leading "/" so nobody can type an intent or slot payload. None when nothing is left."""
    payload = memory.payload_for(sender, text)
    if payload:
        return payload
    text = (text or "").lstrip("/").strip()
    return text or None


class OptionMemory:
    """The payloads of the options each sender was last shown; capped in size, entries expire.

    Only bot payloads (like "/consent_what_is") are kept, never anything a person wrote.
    """

    def __init__(self, max_senders: int = 5000, ttl_seconds: float = 3600, clock: Callable[[], float] = time.monotonic):
        self.max_senders = max_senders
        self.ttl = ttl_seconds
        self.clock = clock
        self._entries: OrderedDict[str, Tuple[float, Tuple[str, ...]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, sender: str, payloads: Sequence[str]) -> None:
        """Keep a turn's option payloads for a sender; a turn without options forgets the old ones."""
        self._entries.pop(sender, None)
        if payloads:
            self._entries[sender] = (self.clock() + self.ttl, tuple(payloads))
        self._trim()

    def payload_for(self, sender: str, text: str | None) -> str | None:
        """The payload a numbered reply picks, or None when the text is not the number of a shown option."""
        number = choice_number(text)
        entry = self._entries.get(sender)
        if number is None or entry is None:
            return None
        expires, payloads = entry
        if expires <= self.clock():
            self._entries.pop(sender, None)
            return None
        return payloads[number - 1] if 1 <= number <= len(payloads) else None

    def _trim(self) -> None:
        """Drop expired entries and, over the cap, the oldest (entries are kept in the order they expire)."""
        now = self.clock()
        while self._entries and (len(self._entries) > self.max_senders or next(iter(self._entries.values()))[0] <= now):
            self._entries.popitem(last=False)
