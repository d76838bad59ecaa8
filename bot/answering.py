"""Decide what the assistant says to a question: the answer variant, follow-up buttons, and whether to ask
who is talking. Pure: the Rasa action in actions/ only passes the tracker's values in and the result out.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field

import yaml

from bot.audience import variant_key
from bot.content import CONTENT_DIR, School, answers, render_answer, render_text, school

FALLBACK_ANSWER = "out_of_scope"
NO_AUDIENCE_QUESTION = {"set_audience", "goodbye", "thanks", "bot_challenge"}


@dataclass(frozen=True)
class Reply:
    """One message: its text and quick-reply buttons (title, payload)."""

    text: str
    buttons: tuple = field(default_factory=tuple)

    def as_dict(self) -> dict:
        return {"text": self.text, "buttons": [{"title": t, "payload": p} for t, p in self.buttons]}


@functools.lru_cache(maxsize=None)
def system_texts() -> dict:
    """The assistant's texts about itself (system.yml)."""
    with open(CONTENT_DIR / "system.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def system_text(key: str, profile: School | None = None) -> str:
    """One of the system texts with placeholders filled."""
    return render_text(system_texts()[key], profile)


def answer_id_for(intent: str | None) -> str:
    """The content entry that answers an intent; the out-of-scope answer when there is none."""
    return intent if intent in answers() else FALLBACK_ANSWER


def follow_up_buttons(answer_id: str) -> tuple:
    """Up to three follow-up questions as (title, payload) buttons."""
    library = answers()
    return tuple((library[f].title, f"/{f}") for f in library[answer_id].follow_ups[:3] if f in library)


def audience_question() -> Reply:
    """Who is talking, with a button for each audience."""
    spec = system_texts()["ask_audience"]
    buttons = tuple((b["title"], "/set_audience" + json.dumps({"audience": b["audience"]})) for b in spec["buttons"])
    return Reply(spec["text"], buttons)


def answer(
    intent: str | None,
    audience: str | None,
    band: str | None,
    audience_asked: bool = False,
    profile: School | None = None,
) -> tuple[list[Reply], bool]:
    """The replies for an intent, and whether the audience question was asked in them."""
    answer_id = answer_id_for(intent)
    profile = profile or school()
    key = variant_key(audience, band, profile.default_band)
    replies = [Reply(render_answer(answer_id, key, profile), follow_up_buttons(answer_id))]
    ask = audience is None and not audience_asked and answer_id not in NO_AUDIENCE_QUESTION
    if ask:
        replies.append(audience_question())
    return replies, ask
