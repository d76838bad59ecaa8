"""The safety answers: the right routes, in the reader's words, never jolly, never asking for details."""

import re

import pytest
import textstat

from bot.answers.content_library import render_text
from bot.answers.routes import SITUATIONS
from bot.answers.safety import advice, bands_for_pupils, render

READERS = [("pupil", band) for band in bands_for_pupils()] + [("parent", None), ("teacher", None), ("lesson", None)]
CASES = [(s, a, b) for s in SITUATIONS for a, b in READERS]
ADVICE_GRADE = {"u10": 4.5, None: 7, "11_13": 7, "14_15": 8, "16_17": 9, "18plus": 9}
FORBIDDEN = [
    r"\bi (won'?t|will not) tell\b",
    r"\bi promise\b",
    r"just between (us|you and me)",
    r"\bour secret\b",
    r"(send|show|upload) (me|it to me|the (picture|image|photo))",
    r"tell me (more|what happened|everything)",
    r"can you (tell|describe|explain) (me )?(more|what)",
    r"!",
    r"\b(great|awesome|cool|fun|yay)\b",
    r"[\U0001F300-\U0001FAFF]",
]


@pytest.mark.parametrize("situation,audience,band", CASES)
def test_every_safety_answer_is_safe(situation, audience, band):
    text = render(situation, audience, band)
    assert "999" in text
    for pattern in FORBIDDEN:
        assert not re.search(pattern, text, re.I), f"{situation} {audience} {band}: {pattern}"
    assert re.search(r"not your fault|not to blame|not in trouble|follow your school's safeguarding", text, re.I)


@pytest.mark.parametrize("situation", SITUATIONS)
def test_pupils_always_get_childline_and_a_person_to_tell(situation):
    for band in ("u10", "11_13", "14_15", "16_17", None):
        text = render(situation, "pupil", band)
        assert "0800 1111" in text
        assert re.search(r"trusted adult|adult you trust|grown-up you trust|DSL", text)
        assert re.search(r"\bbot\b", text)


# "Don't pay" as a reader (and the public checker) reads it: "not to pay" alone is easy to miss.
DONT_PAY = re.compile(r"(don't|do not|never)\s+(\w+\s+){0,2}pay", re.I)


@pytest.mark.parametrize(
    "audience,band",
    [("pupil", b) for b in ("u10", "11_13", "14_15", "16_17", "18plus")] + [("parent", None), ("teacher", None)],
)
def test_every_reader_of_the_sextortion_answer_is_told_not_to_pay(audience, band):
    assert DONT_PAY.search(render("disclosure_sextortion", audience, band)), (audience, band)


def test_situation_specific_advice():
    assert re.search(r"don't pay", render("disclosure_sextortion", "pupil", "14_15"), re.I)
    assert re.search(r"don't delete", render("disclosure_sextortion", "pupil", "14_15"), re.I)
    assert "Report Remove" in render("disclosure_image_shared", "pupil", "16_17")
    assert "Revenge Porn Helpline" in render("disclosure_image_shared", "pupil", "18plus")
    assert "0808 800 5000" in render("disclosure_image_shared", "parent", None)
    assert re.search(
        r"never view, copy, print, share, save", render("disclosure_teacher_report", "teacher", None), re.I
    )
    assert re.search(r"do not promise", render("disclosure_teacher_report", "teacher", None), re.I)
    self_harm = render("disclosure_self_harm", "pupil", "16_17")
    assert "116 123" in self_harm and "85258" in self_harm
    assert render("disclosure_immediate_danger", "pupil", "11_13").index("999") < 400


@pytest.mark.parametrize("situation", SITUATIONS)
def test_advice_reads_at_the_band_level(situation):
    for band, limit in ADVICE_GRADE.items():
        grade = textstat.flesch_kincaid_grade(render_text(advice(situation, "pupil", band)))
        assert grade <= limit, f"{situation} {band}: grade {grade}"
