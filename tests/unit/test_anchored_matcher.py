"""The anchored matcher finds exactly what spaCy's Matcher finds, with the real safeguarding patterns."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
import yaml
from spacy.matcher import Matcher

from bot.nlu.anchored_matcher import AnchoredMatcher
from bot.nlu.safeguarding import _flatten, _patterns

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = ROOT / "bot" / "nlu" / "safeguarding_patterns.yml"
MESSAGES = [ROOT / "tests" / "safety" / name for name in ("must_catch.yml", "false_alarm.yml", "fresh_false_alarm.yml")]
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@pytest.fixture(scope="module")
def nlp() -> spacy.Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def _keyed_patterns() -> dict:
    """Every key the detector adds, with its token patterns (patterns, requires groups, unless frames)."""
    keyed = {}
    for entry in yaml.load(PATTERNS.read_text(encoding="utf-8"), Loader=_LOADER)["patterns"]:
        keyed[entry["id"]] = _patterns(entry["patterns"], entry["id"], "patterns")
        for i, group in enumerate(entry.get("requires") or []):
            keyed[f"{entry['id']}#requires{i}"] = _flatten(group, entry["id"])
        if entry.get("unless"):
            keyed[f"{entry['id']}#unless"] = _patterns(entry["unless"], entry["id"], "unless")
    return keyed


def _both(nlp, keyed):
    spacys, ours = Matcher(nlp.vocab, validate=True), AnchoredMatcher(nlp.vocab, validate=True)
    for key, patterns in keyed.items():
        spacys.add(key, patterns)
        ours.add(key, patterns)
    return spacys, ours


def test_the_same_matches_as_spacys_matcher_on_every_test_message(nlp):
    keyed = _keyed_patterns()
    spacys, ours = _both(nlp, keyed)
    texts = [case["text"] for path in MESSAGES for case in yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)]
    assert len(texts) > 400 and len(keyed) > 50
    found = 0
    for text in texts:
        for doc in (nlp(text), nlp(text.lower())):
            expected = sorted(set(spacys(doc)), key=lambda m: (m[1], m[2], m[0]))
            assert ours(doc) == expected, text
            found += len(expected)
    assert found > len(texts)  # the comparison saw plenty of matches, not just empty lists


def test_a_message_without_the_anchor_word_skips_the_pattern_and_one_with_it_matches(nlp):
    ours = AnchoredMatcher(nlp.vocab)
    ours.add("threat", [[{"LOWER": "i"}, {"LOWER": "will", "OP": "?"}, {"LEMMA": {"IN": ["leak", "post"]}}]])
    ours.add("any_number", [[{"LIKE_NUM": True}]])
    assert len(ours._groups) == 2 and None in ours._groups  # "leak/post" anchors the first, not the stop word "i"
    threat = nlp.vocab.strings["threat"]
    assert [m[0] for m in ours(nlp("i will post them"))] == [threat]
    assert ours(nlp("i will tell them")) == []
    assert len(ours(nlp("i have 2 cats"))) == 1  # the unanchored pattern is always tried


def test_bad_patterns_are_rejected_as_spacy_rejects_them(nlp):
    ours = AnchoredMatcher(nlp.vocab, validate=True)
    with pytest.raises(ValueError):
        ours.add("bad", [[{"LOWER": "x", "OP": "sometimes"}]])
    assert ours._groups == {}
