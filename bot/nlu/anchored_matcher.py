"""A spaCy Matcher that only tries the patterns whose rarest required word is in the message.

spaCy's Matcher tries every pattern from every token, so its cost grows with the number of patterns (about
500 safeguarding patterns: 2 ms a message, the largest cost of our own code in a turn). A pattern cannot
match a message that lacks a word it requires, so each pattern is filed under one required token whose
words are all given (`{"LOWER": "blackmail"}`, `{"LEMMA": {"IN": [...]}}`), preferring words that are not
stop words; patterns with no such token are always tried. A message runs only the groups whose anchor words
it contains. The matches are exactly spaCy's (tests/unit/test_anchored_matcher.py compares them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable, Dict, List, Optional, Tuple

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.matcher import Matcher
from spacy.tokens import Doc, Token
from spacy.vocab import Vocab

__all__ = ["AnchoredMatcher"]

# The token attributes an anchor may use, and how to read each from a token.
_READERS: Dict[str, Callable[[Token], str]] = {
    "LOWER": lambda token: token.lower_,
    "LEMMA": lambda token: token.lemma_,
    "ORTH": lambda token: token.text,
    "TEXT": lambda token: token.text,
    "NORM": lambda token: token.norm_,
}
_REQUIRED_OPS = (None, "1", "+")
Anchor = Tuple[str, frozenset]


class AnchoredMatcher:
    """Same `add` and call as `spacy.matcher.Matcher` (no callbacks, no `greedy`), grouped by anchor word."""

    def __init__(self, vocab: Vocab, validate: bool = True):
        self.vocab = vocab
        self.validate = validate
        self._groups: Dict[Optional[Anchor], Matcher] = {}
        self._by_word: Dict[str, Dict[str, List[Matcher]]] = {attr: {} for attr in _READERS}

    def add(self, key: str, patterns: List[List[Dict[str, Any]]]) -> None:
        """File each pattern under its anchor; spaCy validates it exactly as its own Matcher would."""
        for pattern in patterns:
            anchor = _anchor(pattern)
            matcher = self._groups.get(anchor)
            if matcher is None:
                matcher = Matcher(self.vocab, validate=self.validate)
            matcher.add(key, [pattern])
            if anchor not in self._groups:
                self._groups[anchor] = matcher
                if anchor is not None:
                    attr, words = anchor
                    for word in words:
                        self._by_word[attr].setdefault(word, []).append(matcher)

    def __call__(self, doc: Doc) -> List[Tuple[int, int, int]]:
        """(match_id, start, end) for every match, as `Matcher.__call__(doc)` returns them."""
        chosen: Dict[int, Matcher] = {}
        unanchored = self._groups.get(None)
        if unanchored is not None:
            chosen[id(unanchored)] = unanchored
        for attr, index in self._by_word.items():
            if not index:
                continue
            read = _READERS[attr]
            for word in {read(token) for token in doc}:
                for matcher in index.get(word, ()):
                    chosen[id(matcher)] = matcher
        matches = []
        for matcher in chosen.values():
            matches.extend(matcher(doc))
        return sorted(set(matches), key=lambda m: (m[1], m[2], m[0]))


def _anchor(pattern: Any) -> Optional[Anchor]:
    """The required token words that make the best anchor, or None (the pattern is always tried)."""
    if not isinstance(pattern, list):
        return None
    best: Optional[Anchor] = None
    for spec in pattern:
        if not isinstance(spec, dict) or spec.get("OP") not in _REQUIRED_OPS:
            continue
        for attr, value in spec.items():
            words = _words(value)
            if attr in _READERS and words and (best is None or _commonness(words) < _commonness(best[1])):
                best = (attr, words)
    return best


def _words(value: Any) -> Optional[frozenset]:
    """The words a token value allows when it is a plain string or an IN list of strings."""
    if isinstance(value, str):
        return frozenset([value])
    if isinstance(value, dict) and isinstance(value.get("IN"), list):
        allowed = value["IN"]
        if allowed and all(isinstance(word, str) for word in allowed):
            return frozenset(allowed)
    return None


def _commonness(words: Iterable[str]) -> Tuple[bool, int]:
    """Stop words first make a poor anchor (almost every message has one), then bigger sets."""
    words = list(words)
    return (any(word.lower() in STOP_WORDS for word in words), len(words))
