"""Two readers: DIET's ranking (kept by KeepSafetyRanking) decides disclosures; the topic classifier cannot."""

import pytest
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import SAFETY_RANKING, KeepSafetyRanking, SafeguardingDetector
from bot.nlu.pipeline import build


@pytest.fixture(scope="module")
def model():
    return SpacyModel(model=build(), model_name="test")


@pytest.fixture(scope="module")
def detector():
    return SafeguardingDetector({**SafeguardingDetector.get_default_config(), "min_disclosure_mass": 0.4})


def _ranking(*pairs):
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def _read(model, detector, text, diet, topic):
    """One message through the last steps of the pipeline: DIET's ranking kept, then the topic classifier's."""
    message = Message(data={"text": text})
    message.set("intent_ranking", _ranking(*diet))
    message.set("intent", {"name": diet[0][0], "confidence": diet[0][1]})
    KeepSafetyRanking().process([message])
    message.set("intent_ranking", _ranking(*topic))
    message.set("intent", {"name": topic[0][0], "confidence": topic[0][1]})
    detector.process([message], model)
    return message


def test_diet_disclosure_wins_over_the_topic_classifier(model, detector):
    message = _read(
        model,
        detector,
        "the thing from last week",
        diet=[("disclosure_abuse", 0.3), ("disclosure_pressure_images", 0.2), ("consent_what_is", 0.1)],
        topic=[("consent_what_is", 0.7), ("disclosure_abuse", 0.1)],
    )
    assert message.get("intent")["name"] == "disclosure_abuse"
    assert message.get("intent")["confidence"] == 0.3, "the confidence is DIET's"
    assert message.get("safeguarding")["detector"] == "diet"


def test_a_disclosure_from_the_topic_classifier_alone_becomes_the_fallback(model, detector):
    message = _read(
        model,
        detector,
        "i want to dye my hair blue",
        diet=[("out_of_scope", 0.8), ("disclosure_self_harm", 0.1)],
        topic=[("disclosure_self_harm", 0.6), ("out_of_scope", 0.3)],
    )
    assert message.get("intent")["name"] == "nlu_fallback"


def test_the_topic_classifier_answers_questions(model, detector):
    message = _read(
        model,
        detector,
        "is it normal to argue with my boyfriend",
        diet=[("relationships_unhealthy_signs", 0.5), ("relationships_healthy_signs", 0.4)],
        topic=[("relationships_healthy_signs", 0.6), ("relationships_unhealthy_signs", 0.3)],
    )
    assert message.get("intent")["name"] == "relationships_healthy_signs"
    assert message.get("safeguarding") is None


def test_patterns_win_over_both(model, detector):
    message = _read(
        model,
        detector,
        "someone leaked my nudes",
        diet=[("law_what_counts", 0.9)],
        topic=[("law_what_counts", 0.9)],
    )
    assert message.get("intent")["name"] == "disclosure_image_shared"
    assert message.get("safeguarding")["detector"] == "patterns"


def test_safety_ranking_is_not_in_the_parse_output():
    message = Message(data={"text": "hi"})
    message.set("intent_ranking", _ranking(("greet", 1.0)))
    KeepSafetyRanking().process([message])
    assert SAFETY_RANKING not in message.as_dict(only_output_properties=True)
