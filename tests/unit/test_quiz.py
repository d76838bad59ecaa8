"""The myth-or-fact quiz state machine: full rounds, skip, stop, restart and scoring."""

from __future__ import annotations

import copy
import json

import pytest

from bot.lessons import library as lessons
from bot.lessons import quiz


def _right(state) -> str:
    return quiz.correct_answer(state)


def _wrong(state) -> str:
    return "fact" if quiz.correct_answer(state) == "myth" else "myth"


def test_start_gives_a_small_json_state():
    state = quiz.start("ks3", n=8, seed=1)
    assert set(state) >= {"key_stage", "ids", "index", "score", "answered"}
    assert state["key_stage"] == "ks3" and len(state["ids"]) == 8
    assert (state["index"], state["score"], state["answered"]) == (0, 0, 0)
    assert json.loads(json.dumps(state)) == state
    assert quiz.start("ks3", n=8, seed=1) == state


def test_start_accepts_year_text_and_rejects_unknown():
    assert quiz.start("year 10", seed=2)["key_stage"] == "ks4"
    with pytest.raises(quiz.QuizError):
        quiz.start("reception")


@pytest.mark.parametrize("ks", lessons.KEY_STAGES)
def test_full_round_all_right(ks):
    state = quiz.start(ks, n=10, seed=5)
    seen = []
    while not quiz.finished(state):
        now = quiz.current(state)
        assert now["number"] == len(seen) + 1 and now["total"] == 10 and now["statement"]
        seen.append(now["id"])
        state, correct, explanation = quiz.answer(state, _right(state))
        assert correct and explanation
    assert seen == state["ids"]
    assert quiz.current(state) is None
    summary = quiz.summary(state)
    assert summary == {
        "key_stage": ks,
        "total": 10,
        "answered": 10,
        "score": 10,
        "skipped": 0,
        "remaining": 0,
        "stopped": False,
        "finished": True,
        "percent": 100,
    }


def test_scoring_mixed_answers():
    state = quiz.start("ks4", n=6, seed=9)
    for i in range(6):
        state, correct, _ = quiz.answer(state, _right(state) if i % 2 == 0 else _wrong(state))
        assert correct is (i % 2 == 0)
    s = quiz.summary(state)
    assert (s["score"], s["answered"], s["total"], s["percent"]) == (3, 6, 6, 50)
    assert lessons.phrase("score", **s) == "You scored 3 out of 6."


def test_answer_is_case_insensitive_and_checked():
    state = quiz.start("ks2", n=5, seed=3)
    new, correct, _ = quiz.answer(state, f"  {_right(state).upper()} ")
    assert correct and new["score"] == 1
    for bad in ("maybe", "", None, "true"):
        with pytest.raises(quiz.QuizError):
            quiz.answer(state, bad)


def test_functions_do_not_change_the_given_state():
    state = quiz.start("ks3", n=5, seed=4)
    before = copy.deepcopy(state)
    quiz.answer(state, "myth")
    quiz.skip(state)
    quiz.stop(state)
    quiz.restart(state)
    assert state == before


def test_skip_counts_as_skipped_not_answered():
    state = quiz.start("ks3", n=5, seed=6)
    first = quiz.current(state)["id"]
    state = quiz.skip(state)
    assert quiz.current(state)["id"] != first and quiz.current(state)["number"] == 2
    state, _, _ = quiz.answer(state, _right(state))
    state = quiz.skip(state)
    s = quiz.summary(state)
    assert (s["answered"], s["score"], s["skipped"], s["remaining"]) == (1, 1, 2, 2)
    while not quiz.finished(state):
        state = quiz.skip(state)
    assert quiz.summary(state)["skipped"] == 4
    with pytest.raises(quiz.QuizError):
        quiz.skip(state)


def test_stop_ends_the_round_early():
    state = quiz.start("ks5", n=8, seed=7)
    state, _, _ = quiz.answer(state, _right(state))
    state, _, _ = quiz.answer(state, _wrong(state))
    state = quiz.stop(state)
    assert quiz.finished(state) and quiz.current(state) is None
    s = quiz.summary(state)
    assert (s["stopped"], s["answered"], s["score"], s["total"], s["remaining"], s["skipped"]) == (True, 2, 1, 8, 6, 0)
    assert lessons.phrase("score_partial", **s) == "You answered 2 of 8 questions and got 1 right."
    with pytest.raises(quiz.QuizError):
        quiz.answer(state, "myth")
    assert quiz.stop(state) == state


def test_restart_same_questions_from_the_start():
    state = quiz.start("ks2", n=5, seed=8)
    state, _, _ = quiz.answer(state, _right(state))
    state = quiz.stop(quiz.skip(state))
    again = quiz.restart(state)
    assert again["ids"] == state["ids"]
    assert (again["index"], again["score"], again["answered"], again["stopped"]) == (0, 0, 0, False)
    assert quiz.current(again)["number"] == 1


def test_no_quiz_running():
    for bad in (None, {}, {"ids": []}, "quiz"):
        with pytest.raises(quiz.QuizError):
            quiz.current(bad)


def test_phrases_for_the_quiz_ui():
    state = quiz.start("ks3", n=8, seed=1)
    state = quiz.skip(quiz.skip(state))
    now = quiz.current(state)
    assert lessons.phrase("question_of", **now) == "Question 3 of 8"
    assert lessons.phrase("correct", answer="myth") == "Correct! It's a myth."
