"""The development-set scorer: what passes, what counts as caught, what counts as a false alarm."""

from pathlib import Path

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


def test_the_development_set_names_only_real_intents():
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))["intents"])
    cases = yaml.safe_load((ROOT / "tests" / "dev" / "cases.yml").read_text("utf-8"))
    assert len(cases) >= 400
    assert not {i for c in cases for i in c["expect"]} - intents
