"""Lesson mode for teachers: starters, scenarios, the myth-or-fact quiz, RSHE outcomes and incident guidance.

Pure: given the intent, the message text and the lesson slots, it returns the replies and the new slot
values. actions/lesson.py passes them to and from Rasa. The words are in bot/content/lessons/.
"""

from __future__ import annotations

import random
import re

from bot import yaml_files
from bot.answers import concepts
from bot.answers.answering import Reply
from bot.answers.content_library import CONTENT_DIR, School, render_text, school
from bot.lessons import library as lessons
from bot.lessons import quiz

LESSON_INTENTS = {
    "lesson_starter",
    "lesson_scenario",
    "lesson_rshe",
    "lesson_quiz_start",
    "quiz_answer",
    "quiz_skip",
    "quiz_stop",
    "quiz_restart",
    "teacher_incident_guidance",
}


def chat() -> dict:
    """The chat words of lesson mode (chat.yml)."""
    return yaml_files.load(CONTENT_DIR / "lessons" / "chat.yml")


def _button(key: str, payload: str) -> tuple:
    return chat()["buttons"][key], payload


def _say(key: str, **values) -> str:
    return chat()["phrases"][key].format(**values)


def _signpost(profile: School) -> str:
    """Where pupils can go, and the teacher's reminder, with the school's DSL and the services filled in."""
    return render_text(chat()["phrases"]["signpost"], profile)


def area_for(text: str) -> str | None:
    """The area a request names ("a starter on consent"), or None."""
    words = (text or "").lower()
    for area, keys in chat()["area_words"].items():
        if any(re.search(rf"\b{re.escape(k)}\b", words) for k in keys):
            return area
    return None


_COUNTED = r"(?:questions?|statements?|qs|items?|myths?|facts?)\b"


def quiz_length(text: str) -> int:
    """How many statements a request asks for ("five questions", "8 myth or fact"), else the default."""
    numbers = chat()["numbers"]
    # a number counts when what it counts follows it, so "year 9" is a year, not nine questions
    asked = re.search(rf"\b(\d{{1,2}}|{'|'.join(numbers)})\b\W+(?:[\w-]+\W+){{0,3}}?{_COUNTED}", (text or "").lower())
    if asked is None:
        return lessons.QUIZ_DEFAULT
    word = asked.group(1)
    n = int(word) if word.isdigit() else numbers[word]
    return n if lessons.QUIZ_MIN <= n <= lessons.QUIZ_MAX else lessons.QUIZ_DEFAULT


def key_stage(text: str, remembered: str | None) -> str:
    """The key stage named in the text, else the last one used, else the default."""
    return lessons.key_stage_for(text) or remembered or chat()["default_key_stage"]


def _item_reply(kind: str, item: dict, ks: str, profile: School) -> Reply:
    body = item["text"] if kind == "starter" else item["story"]
    if item.get("activity"):
        body = f"{body}\n\n{item['activity']}"
    questions = "\n".join(f"{i}. {q}" for i, q in enumerate(item["questions"], 1))
    text = f"{_say(kind, key_stage=ks.upper(), title=item['title'])}\n\n{body}\n\n{_say('questions')}\n{questions}"
    buttons = (
        _button("rshe", "/lesson_rshe"),
        _button("quiz", "/lesson_quiz_start"),
        _button(
            "scenario" if kind == "starter" else "another_starter",
            "/lesson_scenario" if kind == "starter" else "/lesson_starter",
        ),
    )
    return Reply(f"{render_text(text, profile)}\n\n{_signpost(profile)}", buttons)


def _best(items: list, text: str) -> dict | None:
    """The item sharing most words with the request (the first on a tie)."""
    words = set(re.findall(r"[a-z]+", (text or "").lower()))

    def overlap(item: dict) -> int:
        return len(
            words
            & set(re.findall(r"[a-z]+", f"{item['title']} {item.get('text', '')} {item.get('activity', '')}".lower()))
        )

    return max(items, key=overlap) if items else None


def _question_reply(state: dict, lead: str = "") -> Reply:
    q = quiz.current(state)
    text = f"{lead}{lessons.phrase('question_of', **q)}: {q['statement']}\n{lessons.phrase('prompt')}"
    buttons = (
        _button("myth", '/quiz_answer{"quiz_choice": "myth"}'),
        _button("fact", '/quiz_answer{"quiz_choice": "fact"}'),
        _button("skip", "/quiz_skip"),
        _button("stop", "/quiz_stop"),
    )
    return Reply(text, buttons)


def _end_reply(state: dict, profile: School, lead: str = "") -> Reply:
    s = quiz.summary(state)
    score = lessons.phrase("score_partial" if s["stopped"] else "score", **s)
    end = lessons.phrase("stopped" if s["stopped"] else "finished")
    buttons = (_button("restart", "/quiz_restart"), _button("rshe", "/lesson_rshe"))
    return Reply(f"{lead}{end} {score}\n\n{_signpost(profile)}", buttons)


def _quiz_turn(
    intent: str, choice: str | None, state: dict | None, ks: str, seed, profile: School, text: str = ""
) -> tuple[list, dict | None]:
    if intent == "lesson_quiz_start" or (intent == "quiz_restart" and not state):
        # the topic and the length the teacher asked for ("five myth or fact on consent for year 8")
        area = area_for(text) if intent == "lesson_quiz_start" else None
        state = quiz.start(ks, n=quiz_length(text), seed=seed, area=area)
        intro = _say("quiz_intro", key_stage=ks.upper(), total=len(state["ids"]))
        if area:
            intro = _say("quiz_intro_area", key_stage=ks.upper(), total=len(state["ids"]), area=area)
        return [Reply(intro), _question_reply(state)], state
    if not state or (quiz.finished(state) and intent != "quiz_restart"):
        return [Reply(lessons.phrase("no_quiz"), (_button("quiz", "/lesson_quiz_start"),))], state
    if intent == "quiz_restart":
        state = quiz.restart(state)
        return [_question_reply(state, lessons.phrase("restarted") + "\n")], state
    if intent == "quiz_stop":
        state = quiz.stop(state)
        return [_end_reply(state, profile)], state
    if intent == "quiz_skip":
        state, lead = quiz.skip(state), lessons.phrase("skipped") + "\n"
    elif choice not in ("myth", "fact"):
        return [_question_reply(state)], state
    else:
        state, correct, explanation = quiz.answer(state, choice)
        verdict = lessons.phrase("correct" if correct else "incorrect", answer=quiz_answer_word(state))
        lead = f"{verdict} {render_text(explanation)}\n\n"
    if quiz.finished(state):
        return [_end_reply(state, profile, lead)], state
    return [_question_reply(state, lead)], state


def quiz_answer_word(state: dict) -> str:
    """The word (myth or fact) for the statement just answered."""
    last = lessons.statement(state["ids"][state["index"] - 1])
    return lessons.phrase(last["answer"]).lower()


def _ideas_first(reply: Reply, text: str, profile: School) -> Reply:
    """The reply with the key ideas a teacher's message names before it ("is the UKCIS advice statutory?")."""
    ideas = concepts.named_all(text, "teacher")
    return Reply(concepts.lead(ideas, "teacher", reply.text, profile), reply.buttons) if ideas else reply


def _incident(profile: School) -> Reply:
    g = lessons.incident_guidance(profile.nation)
    parts = [_say("incident_heading"), render_text(g["summary"], profile), _say("incident_steps")]
    parts += [f"- {render_text(s, profile)}" for s in g["immediate_steps"]]
    parts += [_say("incident_do_not")] + [f"- {render_text(s, profile)}" for s in g["do_not"]]
    parts += [_say("incident_police"), render_text(g["police_and_social_care"], profile)]
    parts += [_say("incident_talking")] + [f"- {render_text(s, profile)}" for s in g["talking_with_the_pupil"]]
    return Reply("\n".join(parts))


def respond(intent: str, text: str, slots: dict, seed=None, profile: School | None = None) -> tuple[list, dict]:
    """Replies for a lesson-mode intent, and the slots to set (quiz, key_stage, lesson_items)."""
    profile = profile or school()
    ks = key_stage(text, slots.get("key_stage"))
    updates: dict = {"key_stage": ks, "lesson_active": True}
    if intent == "teacher_incident_guidance":
        return [_ideas_first(_incident(profile), text, profile)], updates
    if intent == "lesson_rshe":
        items = slots.get("lesson_items") or []
        if not items:  # a question about RSHE itself: what schools must teach, then what lesson mode offers
            requirements = render_text(lessons.library()["rshe"]["requirements"], profile)
            return [Reply(requirements), Reply(_say("rshe_none"))], updates
        lines = [f"- {o['topic']} ({o['phase']})" for o in lessons.rshe_outcomes(items)]
        return [Reply("\n".join([_say("rshe_heading"), *lines]))], updates
    if intent in ("lesson_starter", "lesson_scenario"):
        area = area_for(text) or random.Random(seed).choice(list(chat()["area_words"]))
        kind = "starter" if intent == "lesson_starter" else "scenario"
        pool = (
            lessons.starters(area, ks) if kind == "starter" else (lessons.scenarios(ks, area) or lessons.scenarios(ks))
        )
        item = _best(pool, text)
        updates["lesson_items"] = [item["id"]]
        first = _ideas_first(_item_reply(kind, item, ks, profile), text, profile)
        return [first, Reply(_say("handout", area=item["area"], key_stage=ks))], updates
    replies, state = _quiz_turn(intent, slots.get("quiz_choice"), slots.get("quiz"), ks, seed, profile, text)
    updates["quiz"] = state
    updates["lesson_active"] = bool(state) and not quiz.finished(state)
    if state:
        updates["key_stage"] = state["key_stage"]
        updates["lesson_items"] = list(state["ids"])
    return replies, updates
