"""Text-speak as data: the spellings in textspeak.yml, as spaCy norms and as normalised text.

The spaCy pipeline (bot/nlu/pipeline.py) gets an attribute ruler that sets each listed token's NORM to its
standard words and its LEMMA to their lemmas, so the classifiers, which count lemmas, read "n00dz" as
"nudes". Readers of whole text (the sentence-meaning featurizer, the safeguarding patterns and the everyday
frames) use `normalised_text`, which puts the standard words in place of the listed tokens.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, List

from spacy.tokens import Doc

from bot import yaml_files

TABLE = Path(__file__).resolve().parent / "textspeak.yml"


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


def normalised_text(doc: Doc, table: Dict[str, str] | None = None) -> str:
    """The message with each listed token replaced by its standard words; other tokens as written."""
    table = spellings() if table is None else table
    return "".join(table.get(t.lower_, t.text) + t.whitespace_ for t in doc)


def changes(doc: Doc, table: Dict[str, str] | None = None) -> bool:
    """Whether the table has an entry for any token of the message."""
    table = spellings() if table is None else table
    return any(t.lower_ in table for t in doc)
