"""Teacher lesson mode: read the lesson library and pick starters, scenarios and quiz rounds.

Pure functions over the YAML in bot/content/lessons/ (no Rasa). Texts keep their placeholders
({childline}, {dsl}); render them with `bot.answers.content_library.render_text`. Every function returns copies,
so a caller may change what it gets without touching the cached library.
"""

from __future__ import annotations

import copy
import functools
import random
import re
from pathlib import Path

from bot import yaml_files
from bot.answers.nations import nation_key, nations

LESSONS_DIR = Path(__file__).resolve().parents[1] / "content" / "lessons"
KEY_STAGES = ("ks2", "ks3", "ks4", "ks5")
AREAS = ("consent", "relationships", "law", "help")
NATIONS = tuple(nations())  # the nation keys, from bot/content/nations.yml
QUIZ_ANSWERS = ("myth", "fact")
QUIZ_MIN, QUIZ_MAX, QUIZ_DEFAULT = 5, 10, 8


def _read(name: str):
    return yaml_files.load(LESSONS_DIR / name)


@functools.lru_cache(maxsize=None)
def library() -> dict:
    """The whole lesson library, read once. Treat it as read-only; the other functions return copies."""
    quiz = _read("quiz.yml")
    return {
        "starters": _read("starters.yml")["starters"],
        "scenarios": _read("scenarios.yml")["scenarios"],
        "quiz": quiz["statements"],
        "phrases": quiz["phrases"],
        "incident": _read("incident.yml"),
        "rshe": _read("rshe.yml"),
        "handout": _read("handout.yml"),
    }


@functools.lru_cache(maxsize=None)
def _by_id() -> dict:
    out = {}
    for kind in ("starters", "scenarios", "quiz"):
        for item in library()[kind]:
            out[item["id"]] = item
    return out


def item_key_stages(item: dict) -> list[str]:
    """The key stages an item is for: `key_stage` (starters, scenarios) or `key_stages` (quiz)."""
    if "key_stages" in item:
        return list(item["key_stages"])
    return [item["key_stage"]]


# ---------------------------------------------------------------------------------- key stages

_KS = re.compile(r"\bk(?:ey)?\.?\s*-?\s*s(?:tage)?\.?\s*-?\s*([1-5])\b")
_SIXTH = re.compile(
    r"\b(?:sixth|6th)[\s-]*form|\b(?:lower|upper) sixth\b|\bpost[\s-]*16\b|\ba[\s-]?levels?\b|\bcollege\b"
)
_GCSE = re.compile(r"\bgcses?\b")
_PRIMARY = re.compile(r"\b(?:upper )?primary\b")
_YEAR = re.compile(r"\b(?:years?|yrs?|y)\s*-?\s*(\d{1,2})\b")
_SCOTTISH = re.compile(r"\b([ps])\s*([1-7])\b")
_AGE_BEFORE = re.compile(r"\bage[sd]?\s*(\d{1,2})\b")
_AGE_AFTER = re.compile(r"\b(\d{1,2})\s*(?:(?:-|to|and)\s*(\d{1,2})\s*)?-?\s*(?:years?|yrs?|y/?o)\b(?:[\s-]*olds?)?")


def _ks_for_year(year: int) -> str | None:
    if 3 <= year <= 6:
        return "ks2"
    if 7 <= year <= 9:
        return "ks3"
    if year in (10, 11):
        return "ks4"
    if year in (12, 13):
        return "ks5"
    return None


def _ks_for_age(age: int) -> str | None:
    if 7 <= age <= 10:
        return "ks2"
    if 11 <= age <= 13:
        return "ks3"
    if 14 <= age <= 15:
        return "ks4"
    if 16 <= age <= 19:
        return "ks5"
    return None


def key_stage_for(text) -> str | None:
    """The key stage (ks2 to ks5) for a year group, key stage or age in free text, or None.

    "year 5", "Y6", "ks3", "key stage 4", "year 10", "sixth form", "GCSE", "P7", "S2",
    "12-14 year olds", "aged 15". An age range is pitched at its youngest age. Years 3 and 4 map
    to ks2 (the content is written for Years 5 and 6); key stage 1 and a bare number map to None.
    """
    if text is None:
        return None
    t = str(text).lower().replace("\u2013", "-").replace("\u2014", "-").strip()
    if not t:
        return None
    found = _KS.search(t)
    if found:
        stage = int(found.group(1))
        return f"ks{stage}" if stage >= 2 else None
    if _SIXTH.search(t):
        return "ks5"
    found = _YEAR.search(t)
    if found:
        return _ks_for_year(int(found.group(1)))
    found = _AGE_AFTER.search(t) or _AGE_BEFORE.search(t)
    if found:
        return _ks_for_age(int(found.group(1)))
    found = _SCOTTISH.search(t)
    if found:
        school, n = found.group(1), int(found.group(2))
        if school == "p":
            return "ks2" if n >= 5 else None
        return "ks3" if n <= 3 else "ks4" if n == 4 else "ks5"
    if _GCSE.search(t):
        return "ks4"
    if _PRIMARY.search(t):
        return "ks2"
    return None


def _check_key_stage(key_stage: str) -> str:
    if key_stage in KEY_STAGES:
        return key_stage
    mapped = key_stage_for(key_stage)
    if mapped is None:
        raise ValueError(f"unknown key stage: {key_stage!r} (one of {', '.join(KEY_STAGES)})")
    return mapped


def _check_area(area: str) -> str:
    a = str(area).strip().lower()
    if a not in AREAS:
        raise ValueError(f"unknown area: {area!r} (one of {', '.join(AREAS)})")
    return a


# ---------------------------------------------------------------------------------- selection


def starters(area: str, key_stage: str) -> list[dict]:
    """The discussion starters for an area and key stage, in library order."""
    area, ks = _check_area(area), _check_key_stage(key_stage)
    return copy.deepcopy([s for s in library()["starters"] if s["area"] == area and s["key_stage"] == ks])


def scenarios(key_stage: str, area: str | None = None) -> list[dict]:
    """The scenarios for a key stage, optionally for one area only, in library order."""
    ks = _check_key_stage(key_stage)
    area = _check_area(area) if area is not None else None
    return copy.deepcopy(
        [s for s in library()["scenarios"] if s["key_stage"] == ks and (area is None or s["area"] == area)]
    )


def quiz_statements(key_stage: str, area: str | None = None) -> list[dict]:
    """The myth-or-fact statements for a key stage, optionally for one area only, in library order."""
    ks = _check_key_stage(key_stage)
    area = _check_area(area) if area is not None else None
    return copy.deepcopy(
        [q for q in library()["quiz"] if ks in q["key_stages"] and (area is None or q["area"] == area)]
    )


def statement(statement_id: str) -> dict:
    """One quiz statement by id (KeyError if there is none)."""
    item = _by_id().get(statement_id)
    if item is None or "statement" not in item:
        raise KeyError(statement_id)
    return copy.deepcopy(item)


def quiz_round(key_stage: str, n: int = QUIZ_DEFAULT, seed=None, area: str | None = None) -> list[str]:
    """Statement ids for one quiz round: n is kept within 5 to 10, and to what the key stage has.

    The same seed gives the same round. With an area, its statements come first and the rest of the
    key stage fills the round.
    """
    ks = _check_key_stage(key_stage)
    try:
        n = int(n)
    except (TypeError, ValueError):
        n = QUIZ_DEFAULT
    n = max(QUIZ_MIN, min(QUIZ_MAX, n))
    rng = random.Random(seed)
    pool = [q for q in library()["quiz"] if ks in q["key_stages"]]
    if area is not None:
        area = _check_area(area)
        first = [q["id"] for q in pool if q["area"] == area]
        rest = [q["id"] for q in pool if q["area"] != area]
        rng.shuffle(first)
        rng.shuffle(rest)
        return (first + rest)[:n]
    ids = [q["id"] for q in pool]
    return rng.sample(ids, min(n, len(ids)))


def rshe_outcomes(item_ids) -> list[dict]:
    """The RSHE topics that a set of lesson items serves, in first-seen order.

    Each is {"topic", "phase" (primary | secondary), "summary", "items": [ids]}. A ks2 item maps to the
    primary topics, any other to the secondary ones.
    """
    topics = library()["rshe"]["topics"]
    out: dict[tuple, dict] = {}
    for item_id in item_ids:
        entry = _by_id()[item_id]
        primary = "ks2" in item_key_stages(entry)
        phases = ("primary", "secondary") if primary else ("secondary", "primary")
        for name in entry.get("rshe") or []:
            topic = next((t for phase in phases for t in topics if t["name"] == name and t["phase"] == phase), None)
            if topic is None:
                raise KeyError(f"{item_id}: unknown RSHE topic {name!r}")
            key = (topic["name"], topic["phase"])
            if key not in out:
                out[key] = {"topic": topic["name"], "phase": topic["phase"], "summary": topic["summary"], "items": []}
            if item_id not in out[key]["items"]:
                out[key]["items"].append(item_id)
    return list(out.values())


def incident_guidance(nation: str | None = "england") -> dict:
    """What staff do when a pupil discloses or shows a nude image, for a nation (England by default).

    The England text with the nation's fields laid over it; the nation's sources are added to England's.
    """
    key = nation_key(nation)
    base = copy.deepcopy(library()["incident"])
    overrides = base.pop("nations", {}).get(key, {})
    for field, value in overrides.items():
        if field == "sources":
            base["sources"] = list(base.get("sources") or []) + list(value)
        else:
            base[field] = value
    base["nation"] = key
    return base


def phrase(name: str, **values) -> str:
    """A quiz UI phrase from quiz.yml `phrases`, with {number}, {total}, {score} ... filled in."""
    return library()["phrases"][name].format(**values)


# ---------------------------------------------------------------------------------- checks

_REQUIRED = {
    "starters": ("id", "area", "key_stage", "title", "text", "questions", "rshe", "sources", "last_reviewed"),
    "scenarios": (
        "id",
        "area",
        "key_stage",
        "title",
        "story",
        "questions",
        "good_response",
        "rshe",
        "sources",
        "last_reviewed",
    ),
    "quiz": ("id", "area", "key_stages", "statement", "answer", "explanation", "rshe", "sources", "last_reviewed"),
}


def validate() -> list[str]:
    """Problems in the lesson library (fields, ids, areas, key stages, RSHE names, counts). Empty when all is well."""
    lib = library()
    problems: list[str] = []
    topic_names = {t["name"] for t in lib["rshe"]["topics"]}
    seen: set[str] = set()
    for kind, fields in _REQUIRED.items():
        for entry in lib[kind]:
            where = f"{kind}:{entry.get('id', '?')}"
            problems += [f"{where}: missing {f}" for f in fields if not entry.get(f)]
            if entry.get("id") in seen:
                problems.append(f"{where}: duplicate id")
            seen.add(entry.get("id"))
            if entry.get("area") not in AREAS:
                problems.append(f"{where}: unknown area {entry.get('area')!r}")
            stages = item_key_stages(entry) if ("key_stage" in entry or "key_stages" in entry) else []
            problems += [f"{where}: unknown key stage {k!r}" for k in stages if k not in KEY_STAGES]
            problems += [f"{where}: unknown RSHE topic {n!r}" for n in entry.get("rshe") or [] if n not in topic_names]
            if kind != "quiz" and not 3 <= len(entry.get("questions") or []) <= 5:
                problems.append(f"{where}: needs 3 to 5 questions")
            if kind == "quiz" and entry.get("answer") not in QUIZ_ANSWERS:
                problems.append(f"{where}: answer must be myth or fact")
    for ks in KEY_STAGES:
        for area in AREAS:
            if not starters(area, ks):
                problems.append(f"no starter for {area} {ks}")
        if len(scenarios(ks)) < 2:
            problems.append(f"fewer than 2 scenarios for {ks}")
        if len(quiz_statements(ks)) < 10:
            problems.append(f"fewer than 10 quiz statements for {ks}")
    return problems
