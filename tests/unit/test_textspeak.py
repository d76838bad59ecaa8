"""Text-speak as data (bot/nlu/textspeak.yml): every entry is read, and none replaces a real word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import spacy
import yaml
from spacy.lookups import load_lookups

from bot.nlu import pipeline, textspeak
from bot.nlu.safeguarding import Detector

ROOT = Path(__file__).resolve().parents[2]
DATA = yaml.safe_load(textspeak.TABLE.read_text(encoding="utf-8"))
SPELLINGS = DATA["spellings"]
ALSO_WORDS = DATA.get("also_words") or {}


@pytest.fixture(scope="module")
def nlp():
    return pipeline.build()


@pytest.fixture(scope="module")
def english_words():
    """The WordNet base forms that spacy-lookups-data ships: nouns, verbs, adjectives and adverbs."""
    index = load_lookups("en", ["lemma_index"]).get_table("lemma_index")
    return {word for pos in index.keys() for word in index[pos]}


@pytest.fixture(scope="module")
def detector(nlp):
    return Detector.from_file(nlp, ROOT / "bot" / "nlu" / "safeguarding_patterns.yml")


def test_every_key_is_one_lower_case_token_and_every_value_plain_words():
    tokenizer = spacy.blank("en")
    for key, value in SPELLINGS.items():
        assert key == key.lower() and len(tokenizer(key)) == 1, key
        assert re.fullmatch(r"[a-z' ]+", value) and value == value.strip(), (key, value)
        assert key != value, key


def test_no_entry_replaces_a_real_word_without_saying_why(english_words):
    unexplained = sorted(k for k in SPELLINGS if k in english_words and k not in ALSO_WORDS)
    assert not unexplained, (
        f"these are English words; list them in also_words with a reason, or drop them: {unexplained}"
    )
    assert set(ALSO_WORDS) <= set(SPELLINGS), sorted(set(ALSO_WORDS) - set(SPELLINGS))
    assert all(str(reason).strip() for reason in ALSO_WORDS.values())


def test_common_words_are_never_in_the_table():
    """Words every message uses, which a careless entry could swallow."""
    for word in [
        "ill",
        "hell",
        "well",
        "were",
        "its",
        "shell",
        "wed",
        "cant",
        "wont",
        "sexy",
        "pics",
        "snap",
        "me",
        "i",
    ]:
        assert word not in SPELLINGS, word


@pytest.mark.parametrize("key", sorted(SPELLINGS))
def test_the_pipeline_reads_each_entry_as_its_standard_words(nlp, key):
    doc = nlp(f"she said {key} yesterday")
    token = doc[2]
    assert token.text == key
    assert token.norm_ == SPELLINGS[key]
    assert textspeak.normalised_text(doc) == f"she said {SPELLINGS[key]} yesterday"


def test_lemmas_come_from_the_standard_words(nlp):
    doc = nlp("he wnts my n00dz")
    assert [t.lemma_ for t in doc] == ["he", "want", "my", "nude"]


def test_a_message_in_standard_english_is_left_as_written(nlp):
    text = "My older brother said I should ask my teacher about the homework tomorrow."
    doc = nlp(text)
    assert not textspeak.changes(doc)
    assert textspeak.normalised_text(doc) == text


@pytest.mark.parametrize(
    "standard, spelt",
    [
        ("someone said they will post my nudes unless i pay", "sum1 sed they will post my n00dz unless i pay"),
        ("he is blackmailing me with my pics", "he is blackmailin me wiv my picz"),
        ("i want to kill myself", "i wnt to unalive myself"),
    ],
)
def test_the_safeguarding_patterns_read_text_speak(detector, nlp, standard, spelt):
    expected = detector.detect(nlp(standard))
    assert expected is not None, standard
    found = detector.detect(nlp(spelt))
    assert found is not None and found.situation == expected.situation, (spelt, found)


def test_text_speak_that_means_nothing_harmful_stays_harmless(detector, nlp):
    for text in ["gr8 c u 2moro at skl", "idk wat the hw is tbh", "omg the gc is so funny rn"]:
        assert detector.detect(nlp(text)) is None, text


@pytest.mark.parametrize(
    "written, read",
    [
        ("h3 s4ys h3ll l34k my p1cs", "he says hell leak my pics"),
        ("s3nd m0r3 0r 1ll p0st 1t", "send more or ill post it"),
        ("th3y w4nt m0n3y 0r th3yll 3xp0s3 m3", "they want money or theyll expose me"),
        ("b1ock him", "block him"),
    ],
)
def test_numbers_for_letters_are_read_as_the_word_they_spell(nlp, written, read):
    assert textspeak.normalised_text(nlp(written)) == read
    assert textspeak.changes(nlp(written))


@pytest.mark.parametrize(
    "text",
    ["meet at 10am on 3rd street", "im 14 and in y10", "got a ps5 and an mp3", "its 5pm", "a 12yo", "£50 or 3 quid"],
)
def test_numbers_that_are_numbers_stay(nlp, text):
    assert textspeak.normalised_text(nlp(text)) == text
    assert not textspeak.changes(nlp(text))
