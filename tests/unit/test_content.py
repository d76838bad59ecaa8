"""The content library: complete, correct, and written for each reader."""

import re
from pathlib import Path

import pytest
import textstat
import yaml

from bot.answers.audience import VARIANT_KEYS
from bot.answers.content_library import School, answers, render_answer, render_text, services, validate
from bot.answers.domain import nlu_intents
from bot.answers.nations import nations
from bot.lessons.lesson_mode import LESSON_INTENTS

ROOT = Path(__file__).resolve().parents[2]
# The Flesch-Kincaid grade each reader's text must stay within.
GRADE_LIMIT = {
    "pupil_u10": 4.5,
    "pupil_11_13": 6,
    "pupil_14_15": 8,
    "pupil_16_17": 9,
    "pupil_18plus": 9,
    "parent": 9,
    "teacher": 11,
}
UNCONFIRMED = yaml.safe_load((Path(__file__).parent / "unconfirmed_facts.yml").read_text(encoding="utf-8"))
# From the public checker: a reply must never say sharing nudes is legal at 16 or 17.
LEGAL_CLAIM_WRONG = re.compile(
    r"(it'?s|it is|that'?s|that is)\s+(legal|fine|ok|okay|allowed)\s+(to|for)\s+(\w+\s+){0,4}(send|share)"
    r"|legal (once|when|if) you('re| are) 16|16[- ]year[- ]olds? can (legally )?(send|share)",
    re.I,
)
# A service's number or address typed into an answer instead of a placeholder.
LITERAL_CONTACT = re.compile(
    r"\b(0800\s?1111|116\s?123|85258|0808\s?800\s?5000|0345\s?6000\s?459|0808\s?1000\s?900|0800\s?068\s?4141|999|101)\b"
    r"|\b[a-z0-9-]+\.(org\.uk|police\.uk|co\.uk|org)\b",
    re.I,
)
UK_PHONE = re.compile(r"^(0\d{3}\s?\d{3}\s?\d{3,4}|0800\s?\d{4}|0\d{3}\s?\d{4}\s?\d{3}|116\s?\d{3}|999|101|\d{5})$")

ALL_TEXTS = [(a.id, key, text) for a in answers().values() for key, text in a.variants.items()]


def test_library_validates():
    assert validate() == []


def test_every_question_intent_has_an_answer_with_every_variant():
    missing = [i for i in nlu_intents() if not i.startswith("disclosure_") and i not in LESSON_INTENTS | set(answers())]
    assert missing == []
    for answer in answers().values():
        assert set(VARIANT_KEYS) <= set(answer.variants), answer.id


@pytest.mark.parametrize("answer_id,key,text", ALL_TEXTS, ids=[f"{a}-{k}" for a, k, _ in ALL_TEXTS])
def test_readability_fits_the_reader(answer_id, key, text):
    grade = textstat.flesch_kincaid_grade(render_text(text))
    assert grade <= GRADE_LIMIT[key], f"{answer_id} {key}: grade {grade}"


def test_no_literal_numbers_or_addresses_in_answers():
    for answer_id, key, text in ALL_TEXTS:
        assert not LITERAL_CONTACT.search(text), f"{answer_id} {key}: use a placeholder"


def test_no_variant_says_sharing_nudes_is_legal_at_16_or_17():
    for answer_id, key, _ in ALL_TEXTS:
        assert not LEGAL_CLAIM_WRONG.search(render_answer(answer_id, key)), f"{answer_id} {key}"


@pytest.mark.parametrize("nation", list(nations()))
def test_no_unconfirmed_fact_is_stated(nation):
    profile = School(nation=nation)  # with the nation's notes
    for answer_id, key, _ in ALL_TEXTS:
        rendered = render_answer(answer_id, key, profile)
        for item in UNCONFIRMED:
            assert not re.search(item["pattern"], rendered, re.I), f"{answer_id} {key}: {item['fact']}"


def test_services_have_valid_uk_numbers_and_sources():
    for sid, service in services().items():
        for number in (service.phone, service.text):
            if number:
                assert UK_PHONE.match(number), f"{sid}: {number}"
        assert service.source and str(service), sid


def test_last_verified_is_set_only_after_a_real_check_and_says_how():
    for sid, service in services().items():
        if service.verified:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", service.last_verified), sid
            assert re.search(r"\w+\.\w+", service.verification), f"{sid}: name the page that was checked"
        else:
            assert service.last_verified == "", f"{sid}: last_verified without a real check"
            assert service.verification.startswith("Not yet verified"), sid


def test_verification_notes_are_never_shown_to_anyone():
    notes = [s.verification for s in services().values()]
    for answer_id, key, _ in ALL_TEXTS:
        rendered = render_answer(answer_id, key)
        assert "verif" not in rendered.lower() and not any(n and n[:40] in rendered for n in notes), answer_id


def test_law_answers_say_what_the_law_is_for_and_that_help_is_there():
    for answer in answers().values():
        if answer.area != "law":
            continue
        for key in ("pupil_11_13", "pupil_14_15", "pupil_16_17"):
            text = render_answer(answer.id, key).lower()
            assert re.search(r"protect|keep (you|children|young people) safe", text), f"{answer.id} {key}"


def test_the_same_question_reads_differently_for_each_reader():
    for answer_id in ("law_nudes_illegal", "consent_what_is", "help_report_remove"):
        texts = {render_answer(answer_id, k) for k in ("pupil_u10", "pupil_14_15", "parent", "teacher")}
        assert len(texts) == 4, answer_id


def test_knowledge_answers_never_send_to_999():
    # help_police, and "can you call the police for me" after a disclosure (support_tell_for_me). Not
    # support_scared: "I'm scared of spiders" reads the same to the classifiers, and a false 999 frightens.
    exempt = {"help_police", "support_tell_for_me"}
    for answer_id, key, _ in ALL_TEXTS:
        if answer_id not in exempt:
            assert "999" not in render_answer(answer_id, key), f"{answer_id} {key}"
