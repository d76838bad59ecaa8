"""Deterministic safeguarding detector: spaCy Matcher patterns kept as data.

The patterns and the priority order live in ``bot/nlu/safeguarding_patterns.yml``; this module only loads
and runs them. It has no Rasa imports, so a unit test reaches it in milliseconds and a Rasa component
(or an action) can wrap it.

    nlp = spacy.blank("en"); nlp.add_pipe("lemmatizer", config={"mode": "lookup"}); nlp.initialize()
    detector = Detector.from_file(nlp, "bot/nlu/safeguarding_patterns.yml")
    hit = detector.detect(nlp("someone leaked my nudes"))   # Hit(situation="disclosure_image_shared", ...)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

from bot import yaml_files
from bot.nlu import textspeak
from bot.nlu.anchored_matcher import AnchoredMatcher
from bot.nlu.pipeline import entity_pipes

__all__ = ["Hit", "Detector", "EverydayFrames", "MoneyDemands", "PatternError", "ReportedSituations"]

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_ENTRY_KEYS = {"id", "situation", "comment", "patterns", "requires", "unless", "yields_to_questions"}
_TOP_KEYS = {"priority", "patterns", "vocab"}
_ENTITY_KEYS = {"ENT_TYPE", "ENT_IOB", "ENT_ID", "ENT_KB_ID"}  # token attributes only an entity ruler sets

TokenPattern = List[Dict[str, Any]]
_READINGS = "safeguarding_readings"  # where a message's readings are kept on its Doc (Doc.user_data)


class PatternError(ValueError):
    """The patterns file is malformed (unknown situation, duplicate id, bad token pattern, ...)."""


@dataclass(frozen=True)
class Hit:
    """One detector result: which situation, which pattern entry, and the words that matched."""

    situation: str
    pattern_id: str
    matched_text: str
    yields: bool = False  # a context pattern that a confident reading as a question overrules


@dataclass(frozen=True)
class _Entry:
    id: str
    situation: str
    rank: int
    n_groups: int
    yields: bool


class Detector:
    """Runs the safeguarding patterns over a spaCy ``Doc`` and returns the most urgent hit."""

    def __init__(self, nlp: Language, priority: Sequence[str], entries: Sequence[Mapping[str, Any]]):
        """Build the matcher from already parsed data (see ``from_file`` for the file format)."""
        self.nlp = nlp
        self.priority: tuple[str, ...] = _check_priority(priority)
        rank = {situation: i for i, situation in enumerate(self.priority)}
        self._entries: dict[str, _Entry] = {}
        self._matcher = AnchoredMatcher(nlp.vocab, validate=True)
        uses_lemma = False
        for raw in entries:
            pid = _check_entry(raw, rank, self._entries)
            groups = [_flatten(group, pid) for group in raw.get("requires") or []]
            self._entries[pid] = _Entry(
                pid, raw["situation"], rank[raw["situation"]], len(groups), bool(raw.get("yields_to_questions"))
            )
            self._add(pid, _patterns(raw["patterns"], pid, "patterns"))
            for i, group in enumerate(groups):
                self._add(f"{pid}#requires{i}", group)
            if raw.get("unless"):
                self._add(f"{pid}#unless", _patterns(raw["unless"], pid, "unless"))
            uses_lemma = uses_lemma or "LEMMA" in repr(raw)
        if not self._entries:
            raise PatternError("no patterns")
        if uses_lemma and not _has_lemmatizer(nlp):
            raise PatternError("the patterns use LEMMA but the pipeline has no lemmatizer")

    @classmethod
    def from_file(cls, nlp: Language, path: str | Path) -> Detector:
        """Load ``priority`` and ``patterns`` from a YAML file (``vocab`` holds aliases only)."""
        data = yaml_files.load(path)
        if not isinstance(data, dict) or not {"priority", "patterns"} <= set(data):
            raise PatternError(f"{path}: needs top-level keys 'priority' and 'patterns'")
        unknown = set(data) - _TOP_KEYS
        if unknown:
            raise PatternError(f"{path}: unknown top-level keys {sorted(unknown)}")
        return cls(nlp, data["priority"], data["patterns"])

    def detect(self, doc: Doc) -> Hit | None:
        """Return the highest-priority hit in ``doc``, or None when nothing fires."""
        hits = self.detect_all(doc)
        return hits[0] if hits else None

    def detect_all(self, doc: Doc) -> list[Hit]:
        """Every entry that fires, one hit each, most urgent first (priority, then position)."""
        found: dict[str, tuple[int, int, int, Hit]] = {}
        for reading in readings(self.nlp, doc):
            for item in self._hits(reading, doc.text):
                found.setdefault(item[3].pattern_id, item)
        return [item[3] for item in sorted(found.values(), key=lambda item: item[:3])]

    def _hits(self, doc: Doc, original: str) -> list[tuple[int, int, int, Hit]]:
        """Every entry that fires in one reading of the message, with its sort key."""
        spans: dict[str, list[tuple[int, int]]] = {}
        for match_id, start, end in self._matcher(doc):
            spans.setdefault(self.nlp.vocab.strings[match_id], []).append((start, end))
        found: list[tuple[int, int, int, Hit]] = []
        for entry in self._entries.values():
            vetoes = spans.get(f"{entry.id}#unless", [])
            kept = _unvetoed(spans.get(entry.id, []), vetoes)
            if not kept:
                continue
            groups = (f"{entry.id}#requires{i}" for i in range(entry.n_groups))
            if not all(_unvetoed(spans.get(key, []), vetoes) for key in groups):
                continue
            start, end = min(kept, key=lambda se: (se[0], -(se[1] - se[0])))
            span = doc[start:end]
            text = span.text
            if len(original) == len(doc.text):
                text = original[span.start_char : span.end_char]
            found.append((entry.rank, start, -(end - start), Hit(entry.situation, entry.id, text, entry.yields)))
        return found

    def _add(self, key: str, patterns: list[TokenPattern]) -> None:
        try:
            self._matcher.add(key, patterns)
        except (ValueError, TypeError, KeyError) as err:
            raise PatternError(f"{key}: invalid token pattern: {err}") from err


class MoneyDemands:
    """A demand for money (bot/nlu/money_demands.yml) turns some disclosures into sextortion: "don't pay" first."""

    def __init__(
        self, nlp: Language, to: str, escalate: Sequence[str], patterns: Sequence[Any], advise: Sequence[str] = ()
    ):
        self.nlp = nlp
        self.to = to
        self.escalate = frozenset(escalate)
        self.advise = frozenset(advise)
        self._matcher = Matcher(nlp.vocab, validate=True)
        try:
            self._matcher.add("money_demand", _patterns(list(patterns), "money_demands", "patterns"))
        except (ValueError, TypeError, KeyError) as err:
            raise PatternError(f"money_demands: invalid token pattern: {err}") from err

    @classmethod
    def from_file(cls, nlp: Language, path: str | Path) -> MoneyDemands:
        data = yaml_files.load(path)
        if not isinstance(data, dict) or not {"to", "escalate", "patterns"} <= set(data):
            raise PatternError(f"{path}: needs top-level keys 'to', 'escalate' and 'patterns'")
        return cls(nlp, data["to"], data["escalate"], data["patterns"], data.get("advise") or ())

    def situation(self, situation: str, doc: Doc) -> str:
        """The situation to answer: `to` when a listed disclosure comes with a demand for money."""
        if situation not in self.escalate:
            return situation
        return self.to if self.demanded(doc) else situation

    def advised(self, situation: str, doc: Doc) -> bool:
        """Whether a situation that keeps its own answer (`advise`) needs the don't-pay note too."""
        return situation in self.advise and self.demanded(doc)

    def demanded(self, doc: Doc) -> bool:
        """Whether the message names a demand for money."""
        return any(self._matcher(reading) for reading in readings(self.nlp, doc))


class ReportedSituations:
    """What a parent's or a teacher's report is about (bot/nlu/reported_situations.yml), most urgent first."""

    def __init__(
        self,
        nlp: Language,
        reports: Mapping[str, str],
        situations: Sequence[Mapping[str, Any]],
        about_someone_else: Sequence[str] = (),
    ):
        self.nlp = nlp
        self.reports = dict(reports)
        self.about_someone_else = frozenset(about_someone_else)
        self.order: list[str] = []
        self._matcher = Matcher(nlp.vocab, validate=True)
        for entry in situations:
            name = entry.get("situation") if isinstance(entry, dict) else None
            if not isinstance(name, str) or not name.startswith("disclosure_") or name in self.order:
                raise PatternError(f"reported situation missing, not a disclosure or repeated: {name!r}")
            _add_commented(self._matcher, name, entry)
            self.order.append(name)

    @classmethod
    def from_file(cls, nlp: Language, path: str | Path) -> ReportedSituations:
        data = yaml_files.load(path)
        if not isinstance(data, dict) or not isinstance(data.get("reports"), dict) or not data.get("situations"):
            raise PatternError(f"{path}: needs top-level keys 'reports' and 'situations'")
        return cls(nlp, data["reports"], data["situations"], data.get("about_someone_else") or ())

    def reporter(self, intent: str, audience: str | None = None) -> str | None:
        """Who reports, when the disclosure is a report: the known adult writing (parent, teacher) or else the report
        intent's own writer; or a known adult telling about someone else (`about_someone_else`, such as
        disclosure_friend); else None."""
        known = audience if audience in self.reports.values() else None
        if intent in self.reports:
            return known or self.reports[intent]  # a known parent's report is a parent's, whichever report was guessed
        return known if intent in self.about_someone_else else None

    def report_of(self, reporter: str) -> str:
        """The report intent of a reporter ("parent" -> disclosure_parent_report)."""
        return next(intent for intent, who in self.reports.items() if who == reporter)

    def situation(self, doc: Doc) -> str | None:
        """The most urgent situation the message names (and none of its `unless` patterns), or None."""
        found = {self.nlp.vocab.strings[m[0]] for reading in readings(self.nlp, doc) for m in self._matcher(reading)}
        return next((name for name in self.order if name in found and f"{name}#unless" not in found), None)


class EverydayFrames:
    """Ordinary readings of risky words (bot/nlu/everyday_frames.yml): a second look at DIET-only disclosures."""

    def __init__(self, nlp: Language, frames: Sequence[Mapping[str, Any]]):
        self.nlp = nlp
        self._matcher = Matcher(nlp.vocab, validate=True)
        self.ids: list[str] = []
        for frame in frames:
            fid = frame.get("id") if isinstance(frame, dict) else None
            if not isinstance(fid, str) or not _ID.match(fid) or fid in self.ids:
                raise PatternError(f"frame id missing, not snake_case or repeated: {fid!r}")
            _add_commented(self._matcher, fid, frame)
            self.ids.append(fid)

    @classmethod
    def from_file(cls, nlp: Language, path: str | Path) -> EverydayFrames:
        data = yaml_files.load(path)
        if not isinstance(data, dict) or not isinstance(data.get("frames"), list):
            raise PatternError(f"{path}: needs a top-level list 'frames'")
        return cls(nlp, data["frames"])

    def match(self, doc: Doc) -> str | None:
        """The id of the first frame that matches the message and none of whose `unless` patterns does, or None."""
        for reading in readings(self.nlp, doc):
            found = [self.nlp.vocab.strings[m[0]] for m in sorted(self._matcher(reading), key=lambda m: m[1])]
            kept = [fid for fid in found if "#" not in fid and f"{fid}#unless" not in found]
            if kept:
                return kept[0]
        return None


def _add_commented(matcher: Matcher, name: str, entry: Mapping[str, Any]) -> None:
    """One commented entry of a frames or reported-situations file: its `patterns`, and its `unless` (if any)
    under `name#unless`."""
    if not str(entry.get("comment") or "").strip():
        raise PatternError(f"{name}: every entry needs a comment")
    try:
        matcher.add(name, _patterns(entry.get("patterns"), name, "patterns"))
        if entry.get("unless"):
            matcher.add(f"{name}#unless", _patterns(entry["unless"], name, "unless"))
    except (ValueError, TypeError, KeyError) as err:
        raise PatternError(f"{name}: invalid token pattern: {err}") from err


def readings(nlp: Language, doc: Doc) -> list[Doc]:
    """How the patterns read a message: lower-cased as written, and also with its text-speak in standard
    English (bot/nlu/textspeak.yml) when it has any. A pattern that fires in either reading counts, so the
    normaliser only adds what a pattern written for standard spelling would have caught.
    """
    cached = doc.user_data.get(_READINGS)
    if cached is None:  # made once a message: the patterns, the frames and the money demands all read them
        lowered = _lower_cased(nlp, doc)
        cached = [None if lowered is doc else lowered]  # None: the message itself (no Doc refers to itself)
        if textspeak.changes(lowered):
            cached.append(nlp(textspeak.normalised_text(lowered).lower(), disable=entity_pipes(nlp)))
        doc.user_data[_READINGS] = cached
    return [doc if reading is None else reading for reading in cached]


def _lower_cased(nlp: Language, doc: Doc) -> Doc:
    """The message as the patterns read it: lower-cased, since the lookup lemmatizer only knows lower-case forms
    ("Forced" keeps the lemma "Forced"). The copy goes through the pipeline's token annotators (the lemmatizer)
    but not its entity ruler: patterns may not use entities (`_patterns`), and the ruler is most of the cost.
    """
    lowered = doc.text.lower()
    if lowered == doc.text:
        return doc
    return nlp(lowered, disable=entity_pipes(nlp))


def _unvetoed(found: list[tuple[int, int]], vetoes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (start, end) spans that no veto span overlaps."""
    return [(s, e) for s, e in found if not any(vs < e and s < ve for vs, ve in vetoes)]


def _check_priority(priority: Any) -> tuple[str, ...]:
    if not isinstance(priority, list) or not priority or not all(isinstance(p, str) for p in priority):
        raise PatternError("'priority' must be a non-empty list of situation names")
    if len(set(priority)) != len(priority):
        raise PatternError("'priority' lists a situation twice")
    return tuple(priority)


def _check_entry(raw: Any, rank: Mapping[str, int], seen: Mapping[str, _Entry]) -> str:
    """Validate one entry's keys and return its id."""
    if not isinstance(raw, dict):
        raise PatternError(f"pattern entry is not a mapping: {raw!r}")
    pid = raw.get("id")
    if not isinstance(pid, str) or not _ID.match(pid):
        raise PatternError(f"pattern id must be snake_case: {pid!r}")
    if pid in seen:
        raise PatternError(f"duplicate pattern id: {pid}")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise PatternError(f"{pid}: unknown keys {sorted(unknown)}")
    if raw.get("situation") not in rank:
        raise PatternError(f"{pid}: situation {raw.get('situation')!r} is not in 'priority'")
    if not isinstance(raw.get("comment"), str) or not raw["comment"].strip():
        raise PatternError(f"{pid}: every entry needs a comment")
    if not raw.get("patterns"):
        raise PatternError(f"{pid}: no patterns")
    return pid


def _patterns(value: Any, pid: str, key: str) -> list[TokenPattern]:
    if not isinstance(value, list) or not value:
        raise PatternError(f"{pid}: '{key}' must be a non-empty list of token patterns")
    for pattern in value:
        if not isinstance(pattern, list) or not pattern or not all(isinstance(t, dict) for t in pattern):
            raise PatternError(f"{pid}: '{key}' holds something that is not a token pattern: {pattern!r}")
        if any(_ENTITY_KEYS & set(token) for token in pattern):
            raise PatternError(f"{pid}: patterns match words, not entities ({sorted(_ENTITY_KEYS)}): {pattern!r}")
    return value


def _flatten(group: Any, pid: str) -> list[TokenPattern]:
    """A requires group: token patterns, or lists of them included through a YAML alias."""
    if not isinstance(group, list) or not group:
        raise PatternError(f"{pid}: each 'requires' group must be a non-empty list of token patterns")
    out: list[TokenPattern] = []
    for item in group:
        if isinstance(item, list) and item and all(isinstance(p, list) for p in item):
            out.extend(item)
        else:
            out.append(item)
    return _patterns(out, pid, "requires")


def _has_lemmatizer(nlp: Language) -> bool:
    for name in nlp.pipe_names:
        meta = nlp.get_pipe_meta(name)
        if "token.lemma" in meta.assigns or "lemmatizer" in meta.factory:
            return True
    return False
