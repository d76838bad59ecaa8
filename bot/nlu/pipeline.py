"""Build the project's own English spaCy pipeline without downloading a model.

`spacy.blank("en")` plus a lookup lemmatizer (tables from spacy-lookups-data), an attribute ruler that reads
text-speak as standard English (the table in textspeak.yml; bot/nlu/textspeak.py) and an entity ruler whose
patterns live in entity_patterns.yml. `python -m bot.nlu.pipeline OUT_DIR` saves it where config.yml's
SpacyNLP `model` points.
"""

from __future__ import annotations

import sys
from pathlib import Path

import spacy

from bot import yaml_files
from bot.nlu import textspeak

PATTERNS = Path(__file__).resolve().parent / "entity_patterns.yml"
_ENTITY_ATTRS = ("doc.ents", "token.ent_")


def entity_pipes(nlp: spacy.language.Language) -> list[str]:
    """The pipes that set only entities (the entity ruler): what a reader of tokens and lemmas can leave out.

    A pipe that declares nothing it sets is not counted among them.
    """
    return [
        name
        for name, _ in nlp.pipeline
        if all(attr.startswith(_ENTITY_ATTRS) for attr in nlp.get_pipe_meta(name).assigns or ["token."])
    ]


def ruler_patterns(path: Path = PATTERNS) -> list[dict]:
    """The entity-ruler patterns from the data file: token lists stay token patterns, strings are phrases."""
    by_label = yaml_files.load(path)
    return [
        {"label": label, "pattern": pattern, "id": f"{label}-{i}"}
        for label, patterns in by_label.items()
        for i, pattern in enumerate(patterns)
    ]


def build(patterns: Path = PATTERNS) -> spacy.language.Language:
    """A blank English pipeline with a lookup lemmatizer, the text-speak norms and the project's entity ruler."""
    nlp = spacy.blank("en")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    norms = nlp.add_pipe("attribute_ruler", name="textspeak")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    nlp.initialize()
    lemmas = lemmatizer.lookups.get_table("lemma_lookup")
    norms.add_patterns(textspeak.ruler_patterns(textspeak.spellings(), lambda word: lemmas.get(word, word)))
    ruler.add_patterns(ruler_patterns(patterns))
    nlp.meta["name"] = "safeguarding_en"
    nlp.meta["description"] = (
        "Blank English pipeline with lookup lemmas, text-speak norms and an entity ruler, built by bot.nlu.pipeline"
    )
    return nlp


def main(argv: list[str]) -> int:
    """Save the pipeline to the directory given (default build/spacy_en)."""
    out = Path(argv[0] if argv else "build/spacy_en")
    out.parent.mkdir(parents=True, exist_ok=True)
    build().to_disk(out)
    print(f"saved spaCy pipeline to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
