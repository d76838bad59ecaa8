"""NLU quality gates, read from Rasa's intent report on the held-out test data (tests/nlu).

Disclosure intents count in the macro-F1; their recall is held to 100% by tests/safety instead.

`make nlu-test` writes results/nlu/intent_report.json with `rasa test nlu` and then runs this.
"""

import json
from pathlib import Path

import pytest

REPORT = Path(__file__).resolve().parents[2] / "results" / "nlu" / "intent_report.json"
# The gates of issue 3: intent macro-F1 at least 0.90, and every intent at least 0.75.
MACRO_F1 = 0.90
PER_INTENT_F1 = 0.75
NOT_ANSWERS = {"accuracy", "macro avg", "weighted avg", "micro avg", "nlu_fallback"}


@pytest.fixture(scope="module")
def report():
    if not REPORT.exists():
        pytest.fail(f"{REPORT.name} is missing: run `make nlu-test`")
    return json.loads(REPORT.read_text())


def test_macro_f1(report):
    assert report["macro avg"]["f1-score"] >= MACRO_F1


def test_every_answer_intent(report):
    weak = {
        k: round(v["f1-score"], 3) for k, v in report.items() if k not in NOT_ANSWERS and v["f1-score"] < PER_INTENT_F1
    }
    assert not weak, f"intents below {PER_INTENT_F1}: {weak}"
