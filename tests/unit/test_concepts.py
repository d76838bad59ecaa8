"""Key ideas (bot/content/concepts.yml): well formed, written for each reader, and put before the right answers."""

import re
from pathlib import Path

import pytest
import textstat
import yaml

from bot.answers import concepts
from bot.answers.answering import answer
from bot.answers.audience import VARIANT_KEYS
from bot.answers.content_library import answers, render_answer, render_text, school
from tests.unit.test_content import GRADE_LIMIT, LEGAL_CLAIM_WRONG, LITERAL_CONTACT, UNCONFIRMED

ROOT = Path(__file__).resolve().parents[2]


def _first(message, area=None, *, terms_only=False):
    """The first idea a message names that fits an area (or, with `terms_only`, the first term), or None."""
    found = concepts.named_all(message, area, terms_only=terms_only)
    return found[0] if found else None


TEXTS = [(c.id, key, text) for c in concepts.concepts() for key, text in c.variants.items()]


def test_every_concept_is_complete_and_points_at_a_real_answer():
    ids = [c.id for c in concepts.concepts()]
    assert len(ids) == len(set(ids)) and len(ids) >= 30
    for c in concepts.concepts():
        assert c.answer in answers(), c.id
        assert c.areas and c.areas <= concepts.AREAS, c.id
        assert set(VARIANT_KEYS) <= set(c.variants), c.id
        assert c.words, c.id


@pytest.mark.parametrize("concept_id,key,text", TEXTS, ids=[f"{c}-{k}" for c, k, _ in TEXTS])
def test_readability_fits_the_reader(concept_id, key, text):
    assert textstat.flesch_kincaid_grade(render_text(text)) <= GRADE_LIMIT[key], f"{concept_id} {key}"


def test_no_number_no_emergency_and_no_wrong_or_unconfirmed_law():
    for concept_id, key, text in TEXTS:
        rendered = render_text(text)
        assert not LITERAL_CONTACT.search(text), f"{concept_id} {key}: use a placeholder"
        assert "999" not in rendered, f"{concept_id} {key}: a key idea is never an emergency answer"
        assert not LEGAL_CLAIM_WRONG.search(rendered), f"{concept_id} {key}"
        for item in UNCONFIRMED:
            assert not re.search(item["pattern"], rendered, re.I), f"{concept_id} {key}: {item['fact']}"


def _examples(intents: set) -> list[str]:
    out = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text()).get("nlu", []):
            if block.get("intent") in intents:
                out += [re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line[2:]) for line in block["examples"].splitlines()]
    return [e for e in out if e.strip()]


def test_a_term_never_answers_an_off_topic_or_small_talk_example():
    """A term answers unplaced messages, so it must not be a word everyday messages use."""
    harmless = _examples({"out_of_scope", "greet", "goodbye", "thanks", "bot_challenge", "what_can_you_do"})
    assert len(harmless) > 300
    fired = [(m, c.id) for m in harmless if (c := _first(m, terms_only=True))]
    assert len(fired) <= len(harmless) // 100, fired


def test_a_named_idea_leads_an_answer_in_its_area():
    message = "is love bombing a red flag or just a nice thing to do"
    concept = _first(message, "relationships")
    assert concept is not None and concept.id == "love_bombing"
    replies, _ = answer("relationships_unhealthy_signs", "pupil", "14_15", message=message)
    idea = render_text(concept.variants["pupil_14_15"])
    assert replies[0].text.startswith(idea) and "love bombing" in idea.lower()
    assert replies[0].text.endswith(render_answer("relationships_unhealthy_signs", "pupil_14_15", school()))
    # never before another area's answer, and nothing without a message
    assert "law" not in concept.areas
    replies, _ = answer("law_nudes_illegal", "pupil", "14_15", message=message)
    assert idea not in replies[0].text
    replies, _ = answer("relationships_unhealthy_signs", "pupil", "14_15")
    assert replies[0].text == render_answer("relationships_unhealthy_signs", "pupil_14_15", school())


def test_two_named_ideas_both_lead_and_never_more():
    message = "whats take it down and is it the same as report remove"
    ideas = concepts.named_all(message, "help")
    assert {c.id for c in ideas} == {"take_it_down_and_report_remove", "report_remove_age"}
    replies, _ = answer("help_report_remove", "pupil", "14_15", message=message)
    for idea in ideas:
        assert render_text(idea.variants["pupil_14_15"]) in replies[0].text
    crowded = "love bombing, gaslighting, coercive control and jealousy: which is worst"
    assert len(concepts.named_all(crowded, "relationships")) == concepts.MOST_LEADING


def test_a_named_term_answers_a_message_that_could_not_be_placed():
    message = "New TA starting Monday. What's the one-paragraph version of KCSIE she needs?"
    concept = _first(message, terms_only=True)
    assert concept is not None and concept.term
    for intent in ("out_of_scope", "nlu_fallback"):
        replies, _ = answer(intent, "teacher", None, message=message)
        assert replies[0].text.startswith(render_text(concept.variants["teacher"])), intent
        assert render_answer(concept.answer, "teacher", school()) in replies[0].text


def test_an_everyday_word_alone_never_answers_an_unplaced_message():
    """Ideas named with everyday words only lead an answer already on topic: an off-topic message keeps its reply."""
    named = [(m, c) for m in _examples(TOPIC_INTENTS) if (c := _first(m, "relationships") or _first(m, "consent"))]
    everyday = [(m, c) for m, c in named if not c.term and _first(m, terms_only=True) is None]
    assert len(everyday) >= 20
    for message, concept in everyday:
        replies, _ = answer("out_of_scope", "pupil", "14_15", message=message)
        assert replies[0].text.startswith(render_answer("out_of_scope", "pupil_14_15", school())), (message, concept.id)


def test_every_idea_is_named_by_some_message_in_the_training_data_or_is_a_term():
    """A concept nobody's wording reaches is dead content; terms are reached by name."""
    messages = [m.lower() for m in _examples(TOPIC_INTENTS)]
    unreached = [c.id for c in concepts.concepts() if not c.term and not any(c.named_in(m) for m in messages)]
    assert len(unreached) <= len(concepts.concepts()) // 4, unreached


TOPIC_INTENTS = {a.id for a in answers().values() if a.area in concepts.AREAS}
