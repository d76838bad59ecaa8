"""A parent's or a teacher's report is answered as the situation it names (bot/nlu/reported_situations.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import pipeline
from bot.nlu.components import SafeguardingDetector
from bot.nlu.safeguarding import PatternError, ReportedSituations

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT / "bot" / "nlu" / "reported_situations.yml"


@pytest.fixture(scope="module")
def nlp():
    return pipeline.build()


@pytest.fixture(scope="module")
def reported(nlp):
    return ReportedSituations.from_file(nlp, FILE)


@pytest.mark.parametrize(
    "text, situation",
    [
        ("my son is self harming and i dont know what to do", "disclosure_self_harm"),
        ("my daughter said she wants to die", "disclosure_self_harm"),
        ("I found cuts on my 14 year old's arms", "disclosure_self_harm"),
        ("a pupil in year 9 told me she has been cutting herself", "disclosure_self_harm"),
        ("my son is being blackmailed over a photo", "disclosure_sextortion"),
        ("someone is threatening to post my daughter's pictures", "disclosure_sextortion"),
        ("a year 8 told me her stepdad hits her", "disclosure_abuse"),
        ("my daughter told me she was raped at a party", "disclosure_abuse"),
        ("I think my son's online girlfriend is actually an adult", "disclosure_grooming"),
        ("a 25 year old man has been messaging my 13 year old", "disclosure_grooming"),
        ("my son's nude has been shared by his ex", "disclosure_image_shared"),
        ("a photo of one of my pupils is going round year 10", "disclosure_image_shared"),
        ("a pupil told me her dad hits her mum and she is scared to go home", "disclosure_immediate_danger"),
        # the most urgent comes first: self-harm before the shared image that led to it
        ("since the picture was shared round school my daughter has been self-harming", "disclosure_self_harm"),
    ],
)
def test_a_report_is_answered_as_the_situation_it_names(reported, nlp, text, situation):
    assert reported.situation(nlp(text.lower())) == situation


@pytest.mark.parametrize(
    "text",
    [
        "my 14 year old sent a nude to a boy in her year, what do i do",
        "a year 10 boy showed me a picture on his phone at break",
        "my daughter says a boy keeps asking her for pics",
    ],
)
def test_a_report_naming_no_other_situation_keeps_its_own_answer(reported, nlp, text):
    assert reported.situation(nlp(text.lower())) is None


def test_only_the_report_intents_and_an_adult_telling_about_someone_else_have_a_reporter(reported):
    assert reported.reporter("disclosure_parent_report") == "parent"
    assert reported.reporter("disclosure_teacher_report", "pupil") == "teacher"
    assert reported.reporter("disclosure_teacher_report", "parent") == "parent"
    assert reported.reporter("disclosure_grooming") is None
    assert reported.reporter("disclosure_friend", "teacher") == "teacher"
    assert reported.reporter("disclosure_friend", "pupil") is None
    assert reported.reporter("disclosure_friend") is None


def test_every_situation_has_its_own_adult_answers():
    """Each situation named here has parent and teacher advice in the safety content."""
    from bot import yaml_files

    situations = yaml_files.load(ROOT / "bot" / "content" / "safety.yml")["situations"]
    for entry in yaml_files.load(FILE)["situations"]:
        assert {"parent", "teacher"} <= set(situations[entry["situation"]]), entry["situation"]


def test_a_malformed_file_is_refused(nlp):
    with pytest.raises(PatternError):
        ReportedSituations(nlp, {"disclosure_parent_report": "parent"}, [{"situation": "greet", "patterns": [[]]}])
    with pytest.raises(PatternError):
        ReportedSituations(nlp, {}, [{"situation": "disclosure_abuse", "comment": "", "patterns": [[{"LOWER": "x"}]]}])


def _report(nlp, text, metadata_audience=None, intent="disclosure_parent_report"):
    message = Message(data={"text": text})
    message.set("text_spacy_doc", nlp(text))
    ranking = [
        {"name": intent, "confidence": 0.7},
        {"name": "parent_warning_signs", "confidence": 0.1},
    ]
    message.set("intent", ranking[0])
    message.set("intent_ranking", ranking)
    if metadata_audience:
        message.set("entities", [{"entity": "audience", "value": metadata_audience}])
    return message


class _Model:
    def __init__(self, nlp):
        self.model = nlp


def test_the_detector_answers_a_parents_report_of_self_harm_as_self_harm_for_a_parent(nlp):
    detector = SafeguardingDetector(SafeguardingDetector.get_default_config())
    [message] = detector.process([_report(nlp, "my son is self harming")], _Model(nlp))
    assert message.get("intent")["name"] == "disclosure_self_harm"
    assert message.get("safeguarding")["reported_by"] == "parent"
    assert [e["value"] for e in message.get("entities") if e["entity"] == "audience"] == ["parent"]


def test_the_writers_own_audience_is_kept(nlp):
    detector = SafeguardingDetector(SafeguardingDetector.get_default_config())
    [message] = detector.process([_report(nlp, "my son is self harming", "pupil")], _Model(nlp))
    assert message.get("intent")["name"] == "disclosure_self_harm"
    assert [e["value"] for e in message.get("entities") if e["entity"] == "audience"] == ["pupil"]


def test_a_report_about_an_image_keeps_the_reports_answer(nlp):
    detector = SafeguardingDetector(SafeguardingDetector.get_default_config())
    [message] = detector.process([_report(nlp, "my daughter sent a nude to a boy in her class")], _Model(nlp))
    assert message.get("intent")["name"] == "disclosure_parent_report"
    assert "reported_by" not in message.get("safeguarding")


def test_a_known_parents_report_is_a_parents_whichever_report_the_classifiers_guessed(nlp):
    detector = SafeguardingDetector(SafeguardingDetector.get_default_config())
    text = "something happened to our ds at school today and i need advice"
    [message] = detector.process([_report(nlp, text, "parent", intent="disclosure_teacher_report")], _Model(nlp))
    assert message.get("intent")["name"] == "disclosure_parent_report"
    [teacher] = detector.process([_report(nlp, text, "teacher", intent="disclosure_teacher_report")], _Model(nlp))
    assert teacher.get("intent")["name"] == "disclosure_teacher_report"


def test_a_teacher_telling_about_a_pupil_is_a_report(nlp):
    detector = SafeguardingDetector(SafeguardingDetector.get_default_config())
    text = "a boy in my form says someone is blackmailing him over a photo"
    [message] = detector.process([_report(nlp, text, "teacher", intent="disclosure_friend")], _Model(nlp))
    assert message.get("intent")["name"] == "disclosure_sextortion"
    assert message.get("safeguarding")["reported_by"] == "teacher"
    [pupil] = detector.process([_report(nlp, text, "pupil", intent="disclosure_friend")], _Model(nlp))
    assert pupil.get("intent")["name"] == "disclosure_friend"


def test_a_situations_unless_sets_it_aside(nlp):
    entries = [
        {
            "situation": "disclosure_abuse",
            "comment": "c",
            "patterns": [[{"LOWER": "hits"}]],
            "unless": [[{"LOWER": "ball"}]],
        },
        {"situation": "disclosure_image_shared", "comment": "c", "patterns": [[{"LOWER": "shared"}]]},
    ]
    reported = ReportedSituations(nlp, {"disclosure_parent_report": "parent"}, entries)
    assert reported.situation(nlp("he hits her")) == "disclosure_abuse"
    assert reported.situation(nlp("he hits the ball and shared a video")) == "disclosure_image_shared"
