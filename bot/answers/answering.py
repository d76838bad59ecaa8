"""Decide what the assistant says to a question: the answer variant, follow-up buttons, and whether to ask
who is talking. Pure: the Rasa action in actions/ only passes the tracker's values in and the result out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot import yaml_files
from bot.answers import concepts
from bot.answers.audience import variant_key
from bot.answers.content_library import CONTENT_DIR, School, answers, render_answer, render_text, school

FALLBACK_ANSWER = "out_of_scope"
UNSURE_ANSWER = "unsure"  # the classifiers were unsure: the likeliest topics as buttons (answers/general.yml)
UNSURE_INTENT = "nlu_fallback"
MAX_CHOICES = 3
# When the classifiers are unsure but one topic leads with at least this confidence, that topic is answered, with
# the next likeliest as buttons under a line that keeps help in view (system.yml `unsure_lean`). On the development
# sets (docs/development.md), the leading topic was a right answer for 32 of the 52 unsure messages that reach
# 0.2, and knowledge answers never carry an emergency number, so a wrong lean is a wrong topic, not an alarm.
LEAN_CONFIDENCE = 0.2
NO_AUDIENCE_QUESTION = {"set_audience", "goodbye", "thanks", "bot_challenge"}
# Intents whose answer depends on the question before them (see answer()).
READS_THE_PREVIOUS_QUESTION = {"set_audience", FALLBACK_ANSWER, "nlu_fallback"}
SUPPORT_PREFIX = "support_"  # answers to someone who is telling, or has just told (answers/support.yml)
# Areas whose answers, for a parent or a teacher, always end with where an adult takes a worry (system.yml)
ADULT_ROUTE_AREAS = {"consent", "relationships", "law", "help", "parent", "teacher"}


@dataclass(frozen=True)
class Reply:
    """One message: its text and quick-reply buttons (title, payload)."""

    text: str
    buttons: tuple = field(default_factory=tuple)

    def as_dict(self) -> dict:
        return {"text": self.text, "buttons": [{"title": t, "payload": p} for t, p in self.buttons]}


def system_texts() -> dict:
    """The assistant's texts about itself (system.yml)."""
    return yaml_files.load(CONTENT_DIR / "system.yml")


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


def previous_question(events: list) -> str | None:
    """The intent of the message before the latest one, from a tracker's events (as the action server gets them)."""
    said = [e for e in events if isinstance(e, dict) and e.get("event") == "user"]
    if len(said) < 2:
        return None
    return ((said[-2].get("parse_data") or {}).get("intent") or {}).get("name")


def answer(
    intent: str | None,
    audience: str | None,
    band: str | None,
    audience_asked: bool = False,
    profile: School | None = None,
    previous: str | None = None,
    ranking: list | None = None,
    message: str | None = None,
) -> tuple[list[Reply], bool]:
    """The replies for an intent, and whether the audience question was asked in them.

    `previous` is the intent of the message before this one:
    - when the person has just said who they are (`set_audience`) right after a question that was answered for
      an unknown reader, that question is answered again in their own wording: nobody has to type it twice.
      When their wording is the one they already read, they get the usual thanks;
    - when a message cannot be placed right after an answer on a topic, it gets that topic's gentle check
      (answers/followups.yml: "if you mean this is happening to you...") with the topic's follow-up questions,
      never the out-of-scope reply.

    `ranking` is the latest message's intent ranking. When the classifiers were unsure (`nlu_fallback`) and
    nothing before explains the message, the reply offers the two or three likeliest topics as buttons, with
    Childline (or the NSPCC, or the DSL) in view, rather than only saying what it can't do. When one topic leads
    (LEAN_CONFIDENCE), it is answered, and the others are the buttons.

    `message` is the latest message's text: a key idea it names (bot/answers/concepts.py) is explained before the
    answer, and a named term answers a message that could not be placed.
    """
    profile = profile or school()
    key = variant_key(audience, band, profile.default_band)
    if intent == "set_audience" and _worth_answering_again(previous, key, band, profile):
        intent = previous
    answer_id = answer_id_for(intent)
    buttons, other_topics = follow_up_buttons(answer_id), ()
    if answer_id == FALLBACK_ANSWER and _topic_follow_up(previous):
        answer_id, buttons = _topic_follow_up(previous), follow_up_buttons(previous)
    elif intent == UNSURE_INTENT and (choices := likeliest_topics(ranking)):
        answer_id, buttons = UNSURE_ANSWER, choices
        if (leading := leading_topic(ranking)) is not None and len(choices) > 1:
            answer_id, buttons, other_topics = leading, (), choices[1:]
        elif (placed := placed_by_an_idea(message, choices)) is not None:
            answer_id, buttons = placed, ()
            other_topics = tuple(c for c in choices if c[1] != f"/{placed}")
    text = render_answer(answer_id, key, profile)
    if answer_id in (FALLBACK_ANSWER, UNSURE_ANSWER) and (terms := concepts.named_all(message, terms_only=True)):
        answer_id, buttons = terms[0].answer, follow_up_buttons(terms[0].answer)
        text = concepts.lead(terms, key, render_answer(answer_id, key, profile), profile)
    elif ideas := concepts.named_all(message, _area(answer_id)):
        text = concepts.lead(ideas, key, text, profile)
    replies = [Reply(with_adult_route(text, answer_id, key, profile), buttons)]
    if other_topics:  # leaned to one topic: the others as buttons under a line that keeps help in view
        replies.append(Reply(_audience_text("unsure_lean", key, profile), other_topics))
    # Someone in the middle of telling is never asked who they are.
    ask = audience is None and not audience_asked and answer_id not in NO_AUDIENCE_QUESTION
    ask = ask and not answer_id.startswith(SUPPORT_PREFIX)
    if ask:
        replies.append(audience_question())
    return replies, ask


def with_adult_route(text: str, answer_id: str, key: str, profile: School) -> str:
    """A topic answer for a parent or a teacher, with the adult's route (NSPCC, the DSL) when it names none."""
    entry = answers().get(answer_id)
    if key not in ("parent", "teacher") or entry is None or entry.area not in ADULT_ROUTE_AREAS:
        return text
    routes = (render_text("{nspcc.phone}", profile), profile.dsl)
    if any(route in text for route in routes):
        return text
    return f"{text}\n\n{render_text(system_texts()['adult_route'][key], profile)}"


def likeliest_topics(ranking: list | None) -> tuple:
    """Up to three topic answers from an intent ranking, likeliest first, as (title, payload) buttons.

    Only questions on a topic: never small talk, a disclosure (those have their own answers) or the fallback;
    none when the likeliest reading is that the message is off topic.
    """
    library = answers()
    names = [r.get("name") for r in ranking or [] if isinstance(r, dict) and r.get("name") != UNSURE_INTENT]
    if names and names[0] == FALLBACK_ANSWER:
        return ()  # likeliest off topic ("whats 15% of 80"): the out-of-scope reply says what it can help with
    topics = [n for n in names if n in library and library[n].area not in ("general", "") and not _is_support(n)]
    return tuple((library[n].title, f"/{n}") for n in topics[:MAX_CHOICES])


def leading_topic(ranking: list | None) -> str | None:
    """The likeliest topic answer when the classifiers lean to it (LEAN_CONFIDENCE), else None."""
    names = [r for r in ranking or [] if isinstance(r, dict) and r.get("name") != UNSURE_INTENT]
    if not names or float(names[0].get("confidence") or 0.0) < LEAN_CONFIDENCE:
        return None
    topics = likeliest_topics(names[:1])
    return topics[0][1].lstrip("/") if topics else None


def placed_by_an_idea(message: str | None, choices: tuple) -> str | None:
    """Among an unsure message's likeliest topics, the first whose area holds a key idea the message names.

    "is it wrong to kiss ur gf while shes sleeping" leans to no topic, but names being asleep, an idea of the
    consent area, and a consent topic is among its likeliest: that topic is answered, the idea first.
    """
    if concepts.named_all(message, terms_only=True):
        return None  # a named term answers with its own topic (below)
    for _, payload in choices:
        topic = payload.lstrip("/")
        if concepts.named_all(message, _area(topic)):
            return topic
    return None


def _audience_text(name: str, key: str, profile: School) -> str:
    """A system text written per audience (`pupil_u10`, `pupil`, `parent`, `teacher`) for a variant key."""
    texts = system_texts()[name]
    if key in texts:
        return render_text(texts[key], profile)
    return render_text(texts["pupil_u10" if key == "pupil_u10" else "pupil"], profile)


def _area(answer_id: str) -> str | None:
    entry = answers().get(answer_id)
    return entry.area if entry else None


def _is_support(name: str) -> bool:
    return name.startswith((SUPPORT_PREFIX, "followup_"))


def _topic_follow_up(previous: str | None) -> str | None:
    """After an answer on a topic, the reply to a message that cannot be placed: `followup_<area>`, if written."""
    entry = answers().get(previous or "")
    follow_up = f"followup_{entry.area}" if entry else ""
    return follow_up if follow_up in answers() else None


def _worth_answering_again(previous: str | None, key: str, band: str | None, profile: School) -> bool:
    """A previous question on a topic (not small talk), whose wording for this reader differs from the first."""
    entry = answers().get(previous or "")
    if entry is None or entry.area == "general":
        return False
    return key != variant_key(None, band, profile.default_band)
