"""A demand for money turns a disclosure into sextortion (bot/nlu/money_demands.yml); an offer of money does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu import pipeline
from bot.nlu.safeguarding import MoneyDemands, PatternError

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT / "bot" / "nlu" / "money_demands.yml"


@pytest.fixture(scope="module")
def nlp():
    return pipeline.build()


@pytest.fixture(scope="module")
def money(nlp):
    return MoneyDemands.from_file(nlp, FILE)


@pytest.mark.parametrize(
    "text",
    [
        "the man i met on the game now says i have to buy him steam gift cards",
        "she keeps saying tell me the amount you can send",
        "they want £150 by tonight",
        "he told me to pay or everyone sees it",
        "this account is demanding money from my son",
        "how much can u pay he asked",
        "send them 40 quid he said",
        "sum1 wants money off me for the pix",
        "some account is blackmailing him for money with his nudes",
        "this guy has my pics and wants money i havent got",
        "a pupil says someone keeps asking for crypto over a video",
        "they want £200 by tonight or else",
        "they said unless i get them money by friday",
        "then she sent me a payment link and a screenshot of my followers",
    ],
)
def test_a_demand_for_money_makes_the_disclosure_sextortion(money, nlp, text):
    assert money.situation("disclosure_grooming", nlp(text.lower())) == "disclosure_sextortion"


@pytest.mark.parametrize(
    "text",
    [
        "he gives me money and tells me not to tell mum",
        "he offered to buy me a phone if i sent pics",
        "my dad hits me when i ask for money",
        "he gave me 20 quid after",
        "an older guy keeps messaging me on snap",
    ],
)
def test_an_offer_or_no_money_changes_nothing(money, nlp, text):
    assert money.situation("disclosure_grooming", nlp(text.lower())) == "disclosure_grooming"


def test_higher_priority_situations_keep_their_answer_and_get_the_dont_pay_note(money, nlp):
    doc = nlp("they want money and i want to kill myself")
    assert money.situation("disclosure_self_harm", doc) == "disclosure_self_harm"
    assert money.situation("disclosure_immediate_danger", doc) == "disclosure_immediate_danger"
    assert money.advised("disclosure_self_harm", doc) and money.advised("disclosure_immediate_danger", doc)
    assert not money.advised("disclosure_self_harm", nlp("i want to kill myself"))
    assert not money.advised("disclosure_sextortion", doc)  # its own answer says don't pay


def test_the_safety_answer_with_money_demanded_says_dont_pay_and_its_variants_never_overlap():
    """Each slot combination picks at most one conditional variant (Rasa picks at random among matches)."""
    import itertools
    import re

    from bot.answers.content_library import school
    from bot.answers.domain import safety_variants
    from bot.answers.safety import bands_for_pupils

    variants = safety_variants("disclosure_self_harm", school())
    conditional = [v for v in variants if v.get("condition")]
    for audience, band, lesson, money_slot in itertools.product(
        (None, "pupil", "parent", "teacher"), bands_for_pupils(), (False, True), (None, "yes")
    ):
        slots = {"audience": audience, "age_band": band, "lesson_active": lesson, "money_demand": money_slot}
        matching = [v for v in conditional if all(slots.get(c["name"]) == c["value"] for c in v["condition"])]
        assert len(matching) <= 1, slots
        text = matching[0]["text"] if matching else next(v["text"] for v in variants if not v.get("condition"))
        assert bool(re.search(r"(don't|do not|never)\s+(\w+\s+){0,2}pay", text)) == (money_slot == "yes"), slots


def test_every_escalated_situation_is_a_disclosure_the_detector_knows():
    import yaml

    data = yaml.safe_load(FILE.read_text(encoding="utf-8"))
    known = set(yaml.safe_load((ROOT / "bot" / "nlu" / "safeguarding_patterns.yml").read_text())["priority"])
    assert data["to"] in known and set(data["escalate"]) <= known
    assert not {"disclosure_immediate_danger", "disclosure_self_harm"} & set(data["escalate"])


def test_a_malformed_file_is_refused(nlp, tmp_path):
    bad = tmp_path / "money.yml"
    bad.write_text("to: disclosure_sextortion\npatterns: []\n")
    with pytest.raises(PatternError):
        MoneyDemands.from_file(nlp, bad)
