"""DIET and logistic regression averaged; the detector reads the average, and the patterns still win."""

import pytest
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import DIET_RANKING, AverageIntents, KeepDietRanking, SafeguardingDetector
from bot.nlu.pipeline import build


@pytest.fixture(scope="module")
def model():
    return SpacyModel(model=build(), model_name="test")


@pytest.fixture(scope="module")
def detector():
    return SafeguardingDetector({**SafeguardingDetector.get_default_config(), "min_disclosure_mass": 0.4})


def _ranking(*pairs):
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def _classify(text, diet, regression):
    """One message through the classifier steps: DIET's ranking kept, the regression's, then the average."""
    message = Message(data={"text": text})
    for ranking, step in ((diet, KeepDietRanking()), (regression, AverageIntents())):
        message.set("intent_ranking", _ranking(*ranking))
        message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]})
        step.process([message])
    return message


def test_the_average_of_both_rankings_decides():
    message = _classify(
        "do i have to give my real name if i report something to ceop",
        diet=[("help_ceop", 0.55), ("help_self_harm_worry", 0.11)],
        regression=[("consent_pressure", 0.58), ("help_ceop", 0.34)],
    )
    assert message.get("intent")["name"] == "help_ceop"
    assert message.get("intent")["confidence"] == pytest.approx(0.445)
    assert [r["name"] for r in message.get("intent_ranking")][:3] == [
        "help_ceop",
        "consent_pressure",
        "help_self_harm_worry",
    ]


def test_an_intent_only_one_classifier_ranks_counts_half():
    message = _classify("hi", diet=[("greet", 0.9), ("goodbye", 0.1)], regression=[("greet", 0.5), ("thanks", 0.5)])
    ranking = {r["name"]: r["confidence"] for r in message.get("intent_ranking")}
    assert ranking == pytest.approx({"greet": 0.7, "thanks": 0.25, "goodbye": 0.05})


def test_without_diet_the_ranking_is_left_alone():
    message = Message(data={"text": "hi"})
    message.set("intent_ranking", _ranking(("greet", 0.6)))
    AverageIntents().process([message])
    assert message.get("intent_ranking") == _ranking(("greet", 0.6))


def test_a_disclosure_both_half_see_is_caught(model, detector):
    message = _classify(
        "the thing from last week",
        diet=[("deny", 0.12), ("disclosure_abuse", 0.11), ("disclosure_self_harm", 0.08)],
        regression=[("disclosure_self_harm", 0.96), ("consent_saying_no", 0.02)],
    )
    detector.process([message], model)
    assert message.get("intent")["name"] == "disclosure_self_harm"
    assert message.get("safeguarding")["detector"] == "classifiers"


def _diet_alone_sees_a_disclosure():
    return _classify(
        "the thing from last week",
        diet=[("disclosure_pressure_images", 0.5), ("disclosure_grooming", 0.2)],
        regression=[("relationships_crush_dating", 0.9)],
    )


def test_a_disclosure_diet_alone_sees_does_not_count_by_default(model, detector):
    """With sentence meaning, DIET alone called harmless messages disclosures (bot.nlu.calibrate, dev sets)."""
    message = _diet_alone_sees_a_disclosure()
    assert message.get("intent")["name"] == "relationships_crush_dating"
    detector.process([message], model)
    assert message.get("intent")["name"] == "relationships_crush_dating"
    assert message.get("safeguarding") is None


def test_a_disclosure_diet_alone_sees_is_caught_when_its_ranking_counts(model):
    detector = SafeguardingDetector({**SafeguardingDetector.get_default_config(), "diet_ranking_counts": True})
    message = _diet_alone_sees_a_disclosure()
    detector.process([message], model)
    assert message.get("intent")["name"] == "disclosure_pressure_images"


def test_no_disclosure_in_either_ranking_is_left_alone(model, detector):
    message = _classify(
        "the thing from last week",
        diet=[("relationships_crush_dating", 0.6), ("disclosure_grooming", 0.3)],
        regression=[("relationships_crush_dating", 0.9)],
    )
    detector.process([message], model)
    assert message.get("intent")["name"] == "relationships_crush_dating"
    assert message.get("safeguarding") is None


def test_patterns_win_over_both_classifiers(model, detector):
    message = _classify(
        "someone leaked my nudes", diet=[("law_what_counts", 0.9)], regression=[("law_what_counts", 0.9)]
    )
    detector.process([message], model)
    assert message.get("intent")["name"] == "disclosure_image_shared"
    assert message.get("safeguarding")["detector"] == "patterns"


def test_diet_ranking_is_not_in_the_parse_output():
    message = Message(data={"text": "hi"})
    message.set("intent_ranking", _ranking(("greet", 1.0)))
    KeepDietRanking().process([message])
    assert DIET_RANKING not in message.as_dict(only_output_properties=True)


ASKED = "what is sextortion? heard about it on the radio and my 15 year old is gaming online every night"


def test_a_context_pattern_stands_aside_for_a_confident_question(model, detector):
    """parent_my_child ("my child" and a concern word) fires here; the classifiers are sure it is a question."""
    message = _classify(ASKED, diet=[("parent_sextortion", 0.95)], regression=[("parent_sextortion", 0.9)])
    detector.process([message], model)
    assert message.get("intent")["name"] == "parent_sextortion"
    assert message.get("safeguarding") is None


def test_a_context_pattern_still_fires_when_the_question_reading_is_unsure(model, detector):
    message = _classify(ASKED, diet=[("parent_sextortion", 0.6)], regression=[("parent_sextortion", 0.6)])
    detector.process([message], model)
    assert message.get("intent")["name"].startswith("disclosure_")  # answered as the sextortion it names
    assert message.get("safeguarding")["pattern"] == "parent_my_child"


def test_a_context_pattern_does_not_stand_aside_for_a_help_answer(model, detector):
    """help_* answers are where a person telling is often read, so they never overrule a pattern."""
    text = "i think my daughter is self harming, she wears long sleeves all the time and locks the bathroom"
    message = _classify(text, diet=[("help_self_harm_worry", 0.95)], regression=[("help_self_harm_worry", 0.9)])
    detector.process([message], model)
    assert message.get("intent")["name"].startswith("disclosure_")


def test_an_event_pattern_never_stands_aside(model, detector):
    text = "what is sextortion? my son is being blackmailed over a video of him"
    message = _classify(text, diet=[("parent_sextortion", 0.95)], regression=[("parent_sextortion", 0.95)])
    detector.process([message], model)
    assert message.get("intent")["name"].startswith("disclosure_")
    assert message.get("safeguarding")["detector"] == "patterns"
