"""Key ideas (bot/content/concepts/*.yml): a short explanation of an idea the message names, put before the answer.

The answers are written per topic, so "what's love bombing?" used to get the general list of red flags without
the words "love bombing". A concept answers the idea in its own terms, and the topic answer follows it:
- it leads a topic answer when the message names it and the answer's area is one of the concept's `areas`;
- a `term` (a name specific enough to stand alone, like "gaslighting") also answers a message the classifiers
  could not place, followed by the concept's own topic answer.
Never a safety answer: those are domain responses, and a disclosure is answered before any concept.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot import yaml_files
from bot.answers.audience import pick_variant
from bot.answers.content_library import CONTENT_DIR, School, render_text

CONCEPTS = CONTENT_DIR / "concepts"
AREAS = frozenset({"consent", "relationships", "law", "help", "parent", "teacher"})
# Curly apostrophes read as straight ones, so "don’t" and "don't" match the same pattern.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})


@dataclass(frozen=True)
class Concept:
    """One key idea: where it applies, the words that name it, and its text for each reader."""

    id: str
    answer: str
    term: bool
    areas: frozenset
    words: tuple
    variants: dict

    def named_in(self, message: str) -> bool:
        """Whether the (lower-cased) message names this idea."""
        return any(w.search(message) for w in self.words)


@functools.lru_cache(maxsize=None)
def concepts() -> tuple[Concept, ...]:
    """Every concept, files by name and entries in file order (the first named wins)."""
    return tuple(
        Concept(
            id=raw["id"],
            answer=raw["answer"],
            term=bool(raw.get("term")),
            areas=frozenset(raw["areas"]),
            words=tuple(re.compile(w) for w in raw["words"]),
            variants=raw["variants"],
        )
        for path in sorted(CONCEPTS.glob("*.yml"))
        for raw in yaml_files.load(path) or []
    )


# At most this many ideas lead one answer: "take it down vs report remove" names two, and both are explained.
MOST_LEADING = 2


def named_all(message: str | None, area: str | None = None, *, terms_only: bool = False) -> list[Concept]:
    """Up to MOST_LEADING concepts the message names, in file order, that fit an area (or are terms)."""
    if not message:
        return []
    text = message.lower().translate(_APOSTROPHES)
    found = []
    for concept in concepts():
        if terms_only and not concept.term:
            continue
        if not terms_only and area not in concept.areas:
            continue
        if concept.named_in(text):
            found.append(concept)
            if len(found) == MOST_LEADING:
                break
    return found


def lead(ideas: list[Concept], key: str, answer_text: str, profile: School) -> str:
    """The ideas' texts for a reader, before the answer."""
    texts = [render_text(pick_variant(c.variants, key), profile) for c in ideas]
    return "\n\n".join([*texts, answer_text])
