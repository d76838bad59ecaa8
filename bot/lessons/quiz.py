"""A myth-or-fact quiz as a small state machine, pure and ready to keep in a Rasa slot.

The state is a plain dict of JSON types:
    {"key_stage": "ks3", "ids": [...], "index": 0, "score": 0, "answered": 0, "stopped": False}
`index` is the question being asked (0-based); questions before it were answered or skipped.
Every function returns a new state and never changes the one it is given. The words a quiz
says ("Question 3 of 8", "Myth", "You scored ...") are in quiz.yml `phrases` (see bot.lessons.library.phrase);
explanations keep their placeholders: render them with bot.answers.content_library.render_text.
"""

from __future__ import annotations

from bot.lessons import library as lessons

_KEYS = ("key_stage", "ids", "index", "score", "answered", "stopped")


class QuizError(ValueError):
    """A quiz call that does not fit the state: no quiz, already finished, or not myth/fact."""


def _checked(state) -> dict:
    if not isinstance(state, dict) or any(k not in state for k in _KEYS[:5]):
        raise QuizError("there is no quiz running")
    new = {k: state.get(k) for k in _KEYS}
    new["ids"] = list(new["ids"])
    new["stopped"] = bool(new["stopped"])
    return new


def start(key_stage: str, n: int = lessons.QUIZ_DEFAULT, seed=None, area: str | None = None) -> dict:
    """A new round of n (5 to 10) statements for a key stage ("ks3", or text such as "year 9")."""
    ks = lessons.key_stage_for(key_stage) if key_stage not in lessons.KEY_STAGES else key_stage
    if ks is None:
        raise QuizError(f"unknown key stage: {key_stage!r}")
    ids = lessons.quiz_round(ks, n=n, seed=seed, area=area)
    return {"key_stage": ks, "ids": ids, "index": 0, "score": 0, "answered": 0, "stopped": False}


def finished(state) -> bool:
    """Whether the round is over: every question answered or skipped, or the quiz stopped."""
    s = _checked(state)
    return s["stopped"] or s["index"] >= len(s["ids"])


def current(state) -> dict | None:
    """The question being asked, {"id", "number", "total", "statement"}, or None when the round is over."""
    s = _checked(state)
    if finished(s):
        return None
    item = lessons.statement(s["ids"][s["index"]])
    return {"id": item["id"], "number": s["index"] + 1, "total": len(s["ids"]), "statement": item["statement"]}


def answer(state, choice: str) -> tuple[dict, bool, str]:
    """Answer the current question with "myth" or "fact": (new state, whether it was right, explanation)."""
    s = _checked(state)
    if finished(s):
        raise QuizError("the quiz has finished")
    given = str(choice or "").strip().lower()
    if given not in lessons.QUIZ_ANSWERS:
        raise QuizError(f"answer must be myth or fact, not {choice!r}")
    item = lessons.statement(s["ids"][s["index"]])
    correct = given == item["answer"]
    s["index"] += 1
    s["answered"] += 1
    s["score"] += int(correct)
    return s, correct, item["explanation"]


def correct_answer(state) -> str | None:
    """The right answer ("myth" or "fact") to the current question, for a reveal; None when over."""
    now = current(state)
    return lessons.statement(now["id"])["answer"] if now else None


def skip(state) -> dict:
    """Move past the current question without answering it."""
    s = _checked(state)
    if finished(s):
        raise QuizError("the quiz has finished")
    s["index"] += 1
    return s


def stop(state) -> dict:
    """End the round now; the summary counts what was answered so far."""
    s = _checked(state)
    s["stopped"] = True
    return s


def restart(state) -> dict:
    """The same questions again from the first, with the score reset."""
    s = _checked(state)
    return {"key_stage": s["key_stage"], "ids": s["ids"], "index": 0, "score": 0, "answered": 0, "stopped": False}


def summary(state) -> dict:
    """Numbers for the end-of-quiz message (fill the `score` or `score_partial` phrase with them)."""
    s = _checked(state)
    total = len(s["ids"])
    return {
        "key_stage": s["key_stage"],
        "total": total,
        "answered": s["answered"],
        "score": s["score"],
        "skipped": s["index"] - s["answered"],
        "remaining": max(total - s["index"], 0),
        "stopped": s["stopped"],
        "finished": finished(s),
        "percent": round(100 * s["score"] / s["answered"]) if s["answered"] else 0,
    }
