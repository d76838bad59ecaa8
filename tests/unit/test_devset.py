"""The development-set scorer: what passes, what counts as caught, what counts as a false alarm."""

import re
from pathlib import Path

import pytest
import yaml

from bot.nlu.devset import outcome, summary

ROOT = Path(__file__).resolve().parents[2]


def _parsed(name):
    return {"intent": {"name": name}}


def test_a_case_passes_on_an_expected_intent_and_the_fallback_passes_only_for_out_of_scope():
    law = {"expect": ["law_nudes_illegal"], "kind": "knowledge"}
    assert outcome(law, _parsed("law_nudes_illegal"))["passed"]
    assert not outcome(law, _parsed("nlu_fallback"))["passed"]
    off_topic = {"expect": ["out_of_scope"], "kind": "out_of_scope"}
    assert outcome(off_topic, _parsed("nlu_fallback"))["passed"]


def test_any_disclosure_is_caught_for_safety_and_is_an_alarm_for_harmless_messages():
    abuse = {"expect": ["disclosure_abuse"], "kind": "disclosure"}
    other = outcome(abuse, _parsed("disclosure_grooming"))
    assert other["safe"] and not other["passed"]
    assert outcome(abuse, _parsed("consent_pressure"))["safe"] is False
    haircut = {"expect": ["out_of_scope"], "kind": "benign"}
    assert outcome(haircut, _parsed("disclosure_self_harm"))["false_alarm"] is True
    assert outcome(haircut, _parsed("out_of_scope"))["false_alarm"] is False
    assert outcome({"expect": ["greet"], "kind": "knowledge"}, _parsed("greet"))["false_alarm"] is None


def test_summary_counts_each_kind():
    cases = [{"expect": ["greet"], "kind": "benign"}, {"expect": ["disclosure_abuse"], "kind": "disclosure"}]
    lines = summary(cases, [outcome(cases[0], _parsed("greet")), outcome(cases[1], _parsed("greet"))])
    assert lines[0].startswith("overall 1/2")
    assert "safety caught 0/1; false alarms 0/1" in lines


DEV_SETS = {
    "cases.yml": 400,
    "cases_fresh.yml": 300,
    "cases_third_pupils.yml": 160,
    "cases_third_adults.yml": 150,
    "cases_third_mixed.yml": 170,
    "sextortion_probe.yml": 85,
}


def _dev_cases(name):
    return yaml.safe_load((ROOT / "tests" / "dev" / name).read_text("utf-8"))


@pytest.mark.parametrize("name", sorted(DEV_SETS))
def test_each_development_set_names_only_real_intents(name):
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))["intents"])
    cases = _dev_cases(name)
    assert len(cases) >= DEV_SETS[name]
    assert not {i for c in cases for i in c["expect"]} - intents


def _norm(text):
    return " ".join(re.sub(r"[^\w\s£]", " ", text.lower().replace("'", "")).split())


def test_no_development_message_is_a_training_example():
    """The development sets measure what the model was not taught: none of their messages is trained on."""
    examples = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text("utf-8")).get("nlu", []):
            examples |= {_norm(line[2:]) for line in str(block.get("examples", "")).splitlines() if line.strip()}
    messages = [c["text"] for name in DEV_SETS for c in _dev_cases(name)]
    messages += [t["say"] for name in REPLY_SETS for c in _dev_cases(name) for t in c["turns"]]
    taught = [m for m in messages if _norm(m) in examples]
    assert not taught, f"{len(taught)} development messages are training examples"


# Reply-level development sets: converse.py cases (the words a right reply must contain), scored against a served
# assistant (tests/dev/README.md); nothing in them may be trained on either.
CONVERSE_CATEGORIES = {"consent", "relationships", "law", "help", "teacher", "parent", "disclosure", "sextortion"}
CONVERSE_CATEGORIES |= {"self_harm", "benign", "out_of_scope"}
REPLY_SETS = {
    "replies_pupils_consent_relationships.yml": 70,
    "replies_pupils_law_help.yml": 70,
    "replies_teachers_parents.yml": 80,
    "replies_fresh_mixed.yml": 150,
    "replies_safety_fresh2.yml": 140,
    "replies_benign_fresh2.yml": 120,
    "replies_questions_fresh2.yml": 140,
    "replies_consent_help_fresh3.yml": 100,
}


@pytest.mark.parametrize("name", sorted(REPLY_SETS))
def test_each_reply_set_is_a_set_of_converse_cases(name):
    cases = _dev_cases(name)
    assert len(cases) >= REPLY_SETS[name]
    for case in cases:
        assert case["category"] in CONVERSE_CATEGORIES, case["id"]
        assert case["turns"] and all(t["say"] and t["expect"] for t in case["turns"]), case["id"]


def test_a_report_answered_as_its_situation_still_counts_as_the_report():
    case = {"expect": ["disclosure_parent_report"], "kind": "parent"}
    parsed = {"intent": {"name": "disclosure_self_harm"}, "safeguarding": {"reported_by": "parent"}}
    assert outcome(case, parsed)["passed"]
    assert not outcome(case, {"intent": {"name": "disclosure_self_harm"}})["passed"]
