"""The held-out test sets stay out of the training data, so that their figures measure what they claim."""

import re
from pathlib import Path

import yaml

from tests.shared import shared_eval

ROOT = Path(__file__).resolve().parents[2]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _nlu_examples(paths) -> dict[str, str]:
    examples = {}
    for path in paths:
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            for line in block.get("examples", "").splitlines():
                if line.strip().startswith("- "):
                    examples[_norm(line.strip()[2:])] = f"{path.name}: {block.get('intent')}"
    return examples


def _suite(name: str) -> set[str]:
    return {_norm(case["text"]) for case in yaml.safe_load((ROOT / "tests" / "safety" / name).read_text("utf-8"))}


TRAINING = _nlu_examples(sorted((ROOT / "data" / "nlu").glob("*.yml")))


def test_no_held_out_nlu_example_is_trained_on():
    held_out = _nlu_examples(sorted((ROOT / "tests" / "nlu").glob("*.yml")))
    assert len(held_out) > 400
    assert not {t: TRAINING[t] for t in held_out if t in TRAINING}


def test_no_must_catch_or_false_alarm_message_is_trained_on():
    suites = _suite("must_catch.yml") | _suite("false_alarm.yml") | _suite("fresh_false_alarm.yml")
    assert len(suites) > 300
    assert not {t: TRAINING[t] for t in suites if t in TRAINING}


def test_no_public_eval_message_is_trained_on():
    cases = yaml.safe_load(shared_eval("public_cases.yml").read_text(encoding="utf-8"))
    said = {_norm(turn["say"]) for case in cases for turn in case["turns"]}
    assert len(said) > 40
    said = {t for t in said if len(t.split()) > 1}  # one-word greetings like "yo" are everyone's
    assert not {t: TRAINING[t] for t in said if t in TRAINING}
