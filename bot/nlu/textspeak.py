"""Text-speak as data: the spellings in textspeak.yml, as spaCy norms and as normalised text.

The spaCy pipeline (bot/nlu/pipeline.py) gets an attribute ruler that sets each listed token's NORM to its
standard words and its LEMMA to their lemmas, so the classifiers, which count lemmas, read "n00dz" as
"nudes". Readers of whole text (the sentence-meaning featurizer, the safeguarding patterns and the everyday
frames) use `normalised_text`, which puts the standard words in place of the listed tokens, and also reads
numbers for letters ("l34k", "p1cs", "h3") when the word they spell is an English word (`unleet`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, FrozenSet, List, Optional

from spacy.tokens import Doc

from bot import yaml_files

TABLE = Path(__file__).resolve().parent / "textspeak.yml"
# Numbers for letters: each digit's letter, tried in order ("1" is "i" in "p1cs" and "l" in "b1ock").
LEET = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "@": "a"}
_LEET_TOKEN = re.compile(r"(?=.*[a-z])(?=.*[0-9$@])[a-z0-9$@']+")
_LEET_WORD = re.compile(r"(?<![\w$@'])(?=[\w$@']*[0-9$@])(?=[\w$@']*[a-zA-Z])[\w$@']+(?![\w$@'])")
# A number with a unit or an ordinal, never numbers for letters: "10am", "3rd", "5k", "12yo", "2mins".
_NUMBER_WITH_UNIT = re.compile(r"\d+(am|pm|st|nd|rd|th|k|m|s|x|yo|ish|mins?|hrs?|kg|km|cm|mm|ft|gb|mb|p|ml|v)")
CONTRACTIONS = frozenset(
    "dont wont cant im ive ill id didnt doesnt isnt arent wasnt youre hes shes theyre thats whats theyll youll weve"
    " theyve".split()
)


@lru_cache(maxsize=4)
def spellings(path: Path = TABLE) -> Dict[str, str]:
    """The table: text-speak token -> standard English words."""
    return dict(yaml_files.load(path)["spellings"])


def ruler_patterns(table: Dict[str, str], lemma_of: Callable[[str], str]) -> List[dict]:
    """Attribute-ruler patterns: each token sets NORM to the standard words and LEMMA to their lemmas."""
    return [
        {
            "patterns": [[{"LOWER": key}]],
            "attrs": {"NORM": value, "LEMMA": " ".join(lemma_of(word) for word in value.split())},
        }
        for key, value in sorted(table.items())
    ]


@lru_cache(maxsize=1)
def english_words() -> FrozenSet[str]:
    """Words a number-for-letter spelling may stand for: the lookup lemmatizer's forms and spaCy's stop words."""
    from spacy.lookups import load_lookups

    table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    return frozenset(table.keys()) | frozenset(table.values()) | _short_words() | CONTRACTIONS


@lru_cache(maxsize=1)
def _short_words() -> FrozenSet[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _is_word(word: str) -> bool:
    """An English word, or a regular -s, -ed or -ing form of one."""
    words = english_words()
    if len(word) < 3:
        return word in _short_words()
    stems = [word, word[:-1] if word.endswith("s") else "", word[:-2] if word.endswith("ed") else ""]
    stems += [word[:-1] if word.endswith("ed") else "", word[:-3] if word.endswith("ing") else ""]
    stems += [word[:-3] + "e" if word.endswith("ing") else ""]
    return any(stem and stem in words for stem in stems)


def unleet(token: str) -> Optional[str]:
    """The English word a word spells with numbers for letters ("l34ks" -> "leaks"), or None.

    Only a word with both letters and digits, and only when a reading of its digits as letters is an English
    word: "y10", "ps5", "2nd" and "mp3" stay as they are.
    """
    token = token.lower()
    if not _LEET_TOKEN.fullmatch(token) or _NUMBER_WITH_UNIT.fullmatch(token):
        return None
    return next((word for word in _readings(token) if _is_word(word.replace("'", ""))), None)


def _readings(token: str) -> List[str]:
    out = [""]
    for char in token:
        out = [head + letter for head in out for letter in LEET.get(char, char)]
    return out


def _unleet_match(match: re.Match) -> str:
    return unleet(match.group(0)) or match.group(0)


def normalised_text(doc: Doc, table: Dict[str, str] | None = None) -> str:
    """The message with each listed token replaced by its standard words, and words written with numbers for
    letters read as letters (whole words, however the tokenizer split them); other words as written."""
    table = spellings() if table is None else table
    text = "".join(table.get(t.lower_, t.text) + t.whitespace_ for t in doc)
    return _LEET_WORD.sub(_unleet_match, text) if any(c in text for c in LEET) else text


def changes(doc: Doc, table: Dict[str, str] | None = None) -> bool:
    """Whether the table has an entry for any token of the message, or a word spells a word in numbers."""
    table = spellings() if table is None else table
    return any(t.lower_ in table for t in doc) or any(unleet(m.group(0)) for m in _LEET_WORD.finditer(doc.text))
