"""Lesson library: content checks, selection by key stage, key stage parsing, quiz rounds, incident guidance."""

from __future__ import annotations

import re

import pytest
import textstat

from bot.answers import content_library as content
from bot.lessons import library as lessons

LIB = lessons.library()
ITEMS = [*LIB["starters"], *LIB["scenarios"], *LIB["quiz"]]
ITEM_IDS = [i["id"] for i in ITEMS]
LESSON_FILES = sorted(lessons.LESSONS_DIR.glob("*.yml"))


def _texts(node):
    """Every string in a YAML tree."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)


ALL_TEXT = list(_texts({k: v for k, v in LIB.items() if k not in ("phrases", "handout")}))


def test_library_validates():
    assert lessons.validate() == []


@pytest.mark.parametrize("item", ITEMS, ids=ITEM_IDS)
def test_every_item_has_rshe_sources_and_review_date(item):
    assert item["rshe"] and all(isinstance(n, str) and n for n in item["rshe"])
    # A source is the fact sheet, or a page checked in the content review (docs/content-review.md).
    assert item["sources"] and all(
        isinstance(s, str) and s.startswith(("Fact sheet", "Content review")) for s in item["sources"]
    )
    assert str(item["last_reviewed"]) in ("2026-11-30", "2026-12-07")
    assert lessons.rshe_outcomes([item["id"]])


@pytest.mark.parametrize("ks", lessons.KEY_STAGES)
@pytest.mark.parametrize("area", lessons.AREAS)
def test_starters_are_selected_by_area_and_key_stage(area, ks):
    found = lessons.starters(area, ks)
    assert found
    assert all(s["area"] == area and s["key_stage"] == ks for s in found)
    assert all(3 <= len(s["questions"]) <= 5 for s in found)


@pytest.mark.parametrize("ks", lessons.KEY_STAGES)
def test_scenarios_and_quiz_per_key_stage(ks):
    scen = lessons.scenarios(ks)
    assert len(scen) >= 2 and all(s["key_stage"] == ks and s["good_response"] for s in scen)
    for area in lessons.AREAS:
        assert all(s["area"] == area for s in lessons.scenarios(ks, area))
    quiz = lessons.quiz_statements(ks)
    assert len(quiz) >= 10 and all(ks in q["key_stages"] for q in quiz)
    assert {q["answer"] for q in quiz} == {"myth", "fact"}


def test_selection_accepts_year_text_and_rejects_unknowns():
    assert lessons.starters("consent", "year 8") == lessons.starters("consent", "ks3")
    with pytest.raises(ValueError):
        lessons.starters("maths", "ks3")
    with pytest.raises(ValueError):
        lessons.scenarios("reception")


def test_returned_items_are_copies():
    lessons.starters("law", "ks3")[0]["text"] = "changed"
    assert lessons.starters("law", "ks3")[0]["text"] != "changed"


def test_ks3_has_verbal_and_non_verbal_consent_activity():
    texts = [
        " ".join([s["text"], s.get("activity", ""), *s["questions"]]).lower()
        for s in lessons.starters("consent", "ks3")
    ]
    assert any("body language" in t and "non-verbal" in t and "verbal" in t for t in texts)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("year 5", "ks2"),
        ("Year 6", "ks2"),
        ("Y6", "ks2"),
        ("ks2", "ks2"),
        ("upper primary", "ks2"),
        ("P7", "ks2"),
        ("9-11 year olds", "ks2"),
        ("year 4", "ks2"),
        ("ks3", "ks3"),
        ("KS3", "ks3"),
        ("key stage 3", "ks3"),
        ("year 7", "ks3"),
        ("yr 9", "ks3"),
        ("12-14 year olds", "ks3"),
        ("12–14 year olds", "ks3"),
        ("13-year-olds", "ks3"),
        ("aged 11", "ks3"),
        ("S2", "ks3"),
        ("year 10", "ks4"),
        ("Year 11 class", "ks4"),
        ("key stage 4", "ks4"),
        ("14-16 year olds", "ks4"),
        ("GCSE group", "ks4"),
        ("ages 15", "ks4"),
        ("sixth form", "ks5"),
        ("6th form", "ks5"),
        ("ks5", "ks5"),
        ("year 12", "ks5"),
        ("Year 13", "ks5"),
        ("lower sixth", "ks5"),
        ("A level students", "ks5"),
        ("16-18 year olds", "ks5"),
        ("post-16", "ks5"),
        ("ks1", None),
        ("year 1", None),
        ("reception", None),
        ("", None),
        (None, None),
        ("10", None),
        ("maths", None),
    ],
)
def test_key_stage_for(text, expected):
    assert lessons.key_stage_for(text) == expected


@pytest.mark.parametrize("ks", lessons.KEY_STAGES)
@pytest.mark.parametrize("n", [0, 3, 5, 8, 10, 12, 50])
def test_quiz_round_sizes(ks, n):
    ids = lessons.quiz_round(ks, n=n, seed=1)
    assert 5 <= len(ids) <= 10
    assert len(ids) == max(5, min(10, n))
    assert len(set(ids)) == len(ids)
    assert all(ks in lessons.statement(i)["key_stages"] for i in ids)


def test_quiz_round_default_seed_and_area():
    assert len(lessons.quiz_round("ks3")) == lessons.QUIZ_DEFAULT
    assert lessons.quiz_round("ks4", seed=7) == lessons.quiz_round("ks4", seed=7)
    mixed = lessons.quiz_round("ks4", n=6, seed=3, area="law")
    law = {q["id"] for q in lessons.quiz_statements("ks4", "law")}
    assert 3 <= len(law) <= 6
    assert len(mixed) == 6 and law <= set(mixed)


def test_rshe_outcomes_use_primary_topics_for_ks2_and_secondary_otherwise():
    primary = lessons.rshe_outcomes([s["id"] for s in lessons.starters("help", "ks2")])
    assert primary and all(t["phase"] == "primary" for t in primary)
    secondary = lessons.rshe_outcomes([s["id"] for s in lessons.starters("help", "ks4")])
    assert secondary and all(t["phase"] == "secondary" for t in secondary)
    both = lessons.rshe_outcomes(["starter_help_ks2", "starter_help_ks3"])
    assert {("Being safe", "primary"), ("Being safe", "secondary")} <= {(t["topic"], t["phase"]) for t in both}
    assert all(t["summary"] and t["items"] for t in both)
    with pytest.raises(KeyError):
        lessons.rshe_outcomes(["no_such_item"])


def test_incident_guidance_for_each_nation():
    england = lessons.incident_guidance()
    assert england["nation"] == "england" and "UKCIS" in england["guidance"]
    joined = " ".join(_texts(england)).lower()
    for words in ("view, copy, print, share, store or save", "promise", "own words", "delete", "{dsl}"):
        assert words in joined
    assert "nations" not in england
    wales = lessons.incident_guidance("Wales")
    assert "hwb.gov.wales" in wales["guidance"] and "designated safeguarding person (DSP)" in wales["summary"]
    assert len(wales["sources"]) > len(england["sources"])
    assert wales["do_not"] == england["do_not"]
    scotland = lessons.incident_guidance("scotland")
    assert "National Guidance for Child Protection in Scotland 2021 (updated 2023)" in scotland["guidance"]
    ni = lessons.incident_guidance("Northern Ireland")
    assert "Safeguarding Board for Northern Ireland" in ni["guidance"]
    assert lessons.incident_guidance("NI") == ni
    with pytest.raises(ValueError):
        lessons.incident_guidance("france")


def test_incident_guidance_does_not_quote_the_unconfirmed_referral_list():
    for nation in lessons.NATIONS:
        text = " ".join(_texts(lessons.incident_guidance(nation))).lower()
        assert "criteria" not in text and "five" not in text
        assert "an adult is involved" in text and "immediate risk" in text


def test_placeholders_are_known_and_render():
    known = set(content.services()) | {"dsl", "school"}
    for text in ALL_TEXT:
        assert content.placeholders(text) <= known, text
        content.render_text(text)


PHONE = re.compile(r"(?<!\d)0\d{2,4}[ -]?\d{3,4}(?:[ -]?\d{3,4})?(?!\d)")


@pytest.mark.parametrize("path", LESSON_FILES, ids=[p.name for p in LESSON_FILES])
def test_no_literal_phone_or_text_numbers(path):
    raw = re.sub(r"\{[^{}]*\}", "", path.read_text(encoding="utf-8"))  # placeholders such as {police_101}
    assert not PHONE.search(raw)
    for service in content.services().values():
        for number in (service.phone, service.text):
            if number:
                pattern = r"(?<![\d.])" + r"\s?".join(map(re.escape, number.replace(" ", ""))) + r"(?![\d])"
                assert not re.search(pattern, raw), f"{path.name}: literal {number} ({service.id})"


LEGAL_CLAIM = re.compile(
    r"(it'?s|it is|that'?s|that is)\s+(legal|fine|ok|okay|allowed)\s+(to|for)\s+(\w+\s+){0,4}(send|share)"
    r"|legal (once|when|if) you('re| are) 1[67]|1[67][- ]year[- ]olds? can (legally )?(send|share)"
    r"|law lets you (send|share)|(send|share)\w* nudes? (is|are) legal",
    re.IGNORECASE,
)


def test_never_says_sharing_nudes_is_legal_at_16_or_17():
    myths = {q["statement"] for q in LIB["quiz"] if q["answer"] == "myth"}
    for text in ALL_TEXT:
        if LEGAL_CLAIM.search(text):
            assert text in myths, f"legal claim outside a myth statement: {text}"
    assert lessons.statement("quiz_16_send_nudes")["answer"] == "myth"
    assert lessons.statement("quiz_change_mind")["answer"] == "fact"


def test_phrases():
    assert lessons.phrase("question_of", number=3, total=8) == "Question 3 of 8"
    assert lessons.phrase("score", score=5, total=8) == "You scored 5 out of 8."
    assert lessons.phrase("myth") == "Myth" and lessons.phrase("fact") == "Fact"


# Readability of what pupils read: Flesch-Kincaid grade per item (text with its questions, a quiz statement
# with its explanation). Placeholders are read as the service's name.
GRADE_LIMIT = {"ks2": 6, "ks3": 9, "ks4": 9, "ks5": 10}
_NAMES = {**{k: v.name for k, v in content.services().items()}, "dsl": "your DSL", "school": "your school"}


def _plain(text: str) -> str:
    return re.sub(r"\{(\w+)(?:\.\w+)?\}", lambda m: _NAMES[m.group(1)], text)


def _pupil_passages():
    for s in LIB["starters"]:
        yield s["key_stage"], s["id"], " ".join([s["text"], *s["questions"]])
    for s in LIB["scenarios"]:
        yield s["key_stage"], s["id"], " ".join([s["story"], *s["questions"]])
    for q in LIB["quiz"]:
        for ks in q["key_stages"]:
            yield ks, q["id"], f"{q['statement']} {q['explanation']}"


PASSAGES = list(_pupil_passages())


@pytest.mark.parametrize("ks, item_id, text", PASSAGES, ids=[f"{k}-{i}" for k, i, _ in PASSAGES])
def test_pupil_text_reading_level(ks, item_id, text):
    grade = textstat.flesch_kincaid_grade(_plain(text))
    assert grade <= GRADE_LIMIT[ks], f"{item_id} ({ks}) reads at grade {grade}"


def test_lesson_material_never_prints_999():
    """Lessons and the incident steps are knowledge, read in a classroom: 999 there reads as an alarm.

    They name the emergency number in words; a teacher's report of a real incident gets the safety answer, with 999.
    """
    rendered = [content.render_text(t) for t in ALL_TEXT]
    for nation in ("England", "Wales", "Scotland", "Northern Ireland"):
        rendered += [content.render_text(t) for t in _texts(lessons.incident_guidance(nation))]
    assert rendered and not [t for t in rendered if "999" in t]


def test_a_quiz_round_on_an_area_opens_with_that_areas_statements():
    """A teacher who asks for a quiz on the law gets law statements first, whatever the seed."""
    by_id = {q["id"]: q for q in LIB["quiz"]}
    for seed in range(20):
        ids = lessons.quiz_round("ks4", n=8, seed=seed, area="law")
        in_area = sum(by_id[i]["area"] == "law" for i in ids)
        assert in_area and all(by_id[i]["area"] == "law" for i in ids[:in_area])
