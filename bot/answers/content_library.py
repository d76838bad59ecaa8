"""Load, validate and render the content library in bot/content/.

Answers name services by id ({childline}, {childline.phone}); `render_text` fills them in from the
services registry and the school profile, so every number lives once, in services.yml.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass, field
from pathlib import Path

from bot import yaml_files
from bot.answers.audience import DEFAULT_BAND, OPTIONAL_VARIANTS, VARIANT_KEYS, band_key, pick_variant
from bot.answers.nations import dsl_title, nation_key, nations
from bot.settings import settings

CONTENT_DIR = Path(__file__).resolve().parents[1] / "content"
# The fields a school profile may have (school.yml); anything else is a typo that would be silently ignored.
PROFILE_FIELDS = {"school_name", "nation", "dsl", "quick_exit_url", "retention_days", "default_band", "tell_school"}
# `tell_school` (the route for messages to the DSL) is read and checked by bot/tell_school/settings.py.
PROFILE_DSL_FIELDS = {"title", "name", "contact"}


class ProfileError(ValueError):
    """A school profile that cannot be used: the message names the file, the field and the allowed values."""


@dataclass(frozen=True)
class Service:
    """One help route from the registry; str() is how an answer names it."""

    id: str
    name: str
    mention: str
    phone: str = ""
    text: str = ""
    web: str = ""
    email: str = ""
    hours: str = ""
    min_age: int | None = None
    max_age: int | None = None
    nations: tuple = ()
    last_verified: str = ""  # set only after a real check of the live source; `verification` says how
    verified: bool = False
    verification: str = ""  # how and when it was checked, or plainly that it is not yet verified
    source: str = ""

    def __str__(self) -> str:
        return self.mention.format(phone=self.phone, text=self.text, web=self.web, email=self.email)

    def serves_age(self, age: int | None) -> bool:
        """Whether someone of this age can use the service (unknown age: yes)."""
        if age is None:
            return True
        if self.min_age is not None and age < self.min_age:
            return False
        return not (self.max_age is not None and age > self.max_age)


@dataclass(frozen=True)
class School:
    """The school profile: its name, nation, DSL and default pupil band. Checked whenever one is made."""

    name: str = "your school"
    nation: str = "england"
    dsl_title: str = ""  # empty: the nation's usual title (nations.yml)
    dsl_name: str = ""
    dsl_contact: str = ""
    quick_exit_url: str = ""
    retention_days: int = 30
    default_band: str = DEFAULT_BAND  # the band for a pupil whose age is unknown

    def __post_init__(self):
        object.__setattr__(self, "nation", nation_key(self.nation))
        object.__setattr__(self, "default_band", band_key(self.default_band))

    @property
    def dsl_role(self) -> str:
        """The safeguarding lead's title: the school's own, else the one its nation uses."""
        return self.dsl_title or dsl_title(self.nation)

    @property
    def dsl(self) -> str:
        """How an answer names the DSL: by name when the school gives one."""
        if self.dsl_name:
            who = f"{self.dsl_name}, the {self.dsl_role}"
            return f"{who} ({self.dsl_contact})" if self.dsl_contact else who
        return f"your school's {self.dsl_role}"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Answer:
    """One entry of the knowledge library."""

    id: str
    area: str
    title: str
    variants: dict
    services: tuple = ()
    follow_ups: tuple = ()
    sources: tuple = ()
    last_reviewed: str = ""
    nation_notes: dict = field(default_factory=dict)


@functools.lru_cache(maxsize=None)
def services() -> dict[str, Service]:
    """The services registry, by id."""
    known = {f for f in Service.__dataclass_fields__ if f not in ("id", "nations")}
    out = {}
    for sid, raw in yaml_files.load(CONTENT_DIR / "services.yml").items():
        fields = {
            k: (str(v or "") if k in ("phone", "text", "last_verified") else v) for k, v in raw.items() if k in known
        }
        # Other keys (for, anonymous, notes) are for the people who review the registry; no answer reads them.
        out[sid] = Service(id=sid, nations=tuple(raw.get("nations") or ()), **fields)
    return out


def _unknown(raw: dict, allowed: set, where: str) -> None:
    extra = sorted(set(raw) - allowed)
    if extra:
        raise ValueError(f"{where}unknown field {extra[0]!r}; the fields are: {', '.join(sorted(allowed))}")


def profile_from(raw: dict) -> School:
    """A School from a profile's parsed YAML; ValueError naming the field and the allowed values."""
    raw = raw or {}
    _unknown(raw, PROFILE_FIELDS, "")
    dsl = raw.get("dsl") or {}
    _unknown(dsl, PROFILE_DSL_FIELDS, "dsl: ")
    try:
        retention = int(raw.get("retention_days") or 30)
    except (TypeError, ValueError):
        retention = 0
    if retention < 1:
        raise ValueError(f"retention_days: {raw.get('retention_days')!r} is not a whole number of days of 1 or more")
    return School(
        name=raw.get("school_name") or School.name,
        nation=raw.get("nation") or "england",
        dsl_title=dsl.get("title") or "",
        dsl_name=dsl.get("name") or "",
        dsl_contact=dsl.get("contact") or "",
        quick_exit_url=raw.get("quick_exit_url") or "",
        retention_days=retention,
        default_band=raw.get("default_band") or DEFAULT_BAND,
    )


@functools.lru_cache(maxsize=None)
def school(path: str | None = None) -> School:
    """The school profile: SCHOOL_PROFILE if set, else the generic default. Refused with ProfileError if invalid."""
    path = path or settings().school_profile or str(CONTENT_DIR / "school.yml")
    try:
        return profile_from(yaml_files.load(path))
    except ValueError as e:
        raise ProfileError(f"school profile {path}: {e}") from None


@functools.lru_cache(maxsize=None)
def answers() -> dict[str, Answer]:
    """Every knowledge answer, by id (the intent it answers)."""
    out = {}
    for path in sorted((CONTENT_DIR / "answers").glob("*.yml")):
        for raw in yaml_files.load(path) or []:
            out[raw["id"]] = Answer(
                id=raw["id"],
                area=raw.get("area", ""),
                title=raw.get("title", ""),
                variants=dict(raw.get("variants") or {}),
                services=tuple(raw.get("services") or ()),
                follow_ups=tuple(raw.get("follow_ups") or ()),
                sources=tuple(raw.get("sources") or ()),
                last_reviewed=str(raw.get("last_reviewed", "")),
                nation_notes=dict(raw.get("nation_notes") or {}),
            )
    return out


def placeholders(text: str) -> set[str]:
    """The placeholder roots a text uses: {childline.phone} -> childline."""
    return {name.split(".")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def render_text(text: str, school_profile: School | None = None) -> str:
    """Fill service and school placeholders in a text."""
    profile = school_profile or school()
    return text.format_map({**services(), "dsl": profile.dsl, "school": profile.name})


def nation_note(answer: Answer, nation: str, variant: str) -> str:
    """The note an answer adds for the school's nation and a reader, or "".

    A note is one text for every reader but under-10s, or a mapping of variant keys (plus `default`, again
    never for under-10s) to texts. Under-10s only get a note written for them (`pupil_u10`).
    """
    note = answer.nation_notes.get(nation)
    if isinstance(note, dict):
        own = note.get(variant) or note.get(OPTIONAL_VARIANTS.get(variant, ""))
        return own or ("" if variant == "pupil_u10" else note.get("default", ""))
    return "" if variant == "pupil_u10" else (note or "")


def render_answer(answer_id: str, variant: str, school_profile: School | None = None) -> str:
    """The text of an answer for a variant key, with the school's nation note when there is one."""
    answer = answers()[answer_id]
    profile = school_profile or school()
    text = pick_variant(answer.variants, variant)
    note = nation_note(answer, profile.nation, variant)
    if note:
        text = f"{text}\n\n{note}"
    return render_text(text, profile)


def validate() -> list[str]:
    """Problems in the library: missing variants, unknown ids, literal numbers. Empty when all is well."""
    problems = []
    known = set(services()) | {"dsl", "school", "trusted_adult"}
    library = answers()
    for answer in library.values():
        missing = [k for k in VARIANT_KEYS if not answer.variants.get(k)]
        if missing:
            problems.append(f"{answer.id}: missing variants {missing}")
        if not answer.sources or not answer.last_reviewed:
            problems.append(f"{answer.id}: needs sources and last_reviewed")
        for sid in answer.services:
            if sid not in known:
                problems.append(f"{answer.id}: unknown service {sid}")
        for fid in answer.follow_ups:
            if fid not in library or fid == answer.id:
                problems.append(f"{answer.id}: bad follow-up {fid}")
        for key in set(answer.variants) - set(VARIANT_KEYS) - set(OPTIONAL_VARIANTS):
            problems.append(f"{answer.id}: unknown variant {key}")
        problems += _nation_note_problems(answer)
        problems += _adult_problems(answer)
        for text in [*answer.variants.values(), *_note_texts(answer)]:
            for name in placeholders(text) - known:
                problems.append(f"{answer.id}: unknown placeholder {name}")
    return problems


def _note_texts(answer: Answer) -> list[str]:
    out = []
    for note in answer.nation_notes.values():
        out += list(note.values()) if isinstance(note, dict) else [note]
    return out


def _nation_note_problems(answer: Answer) -> list[str]:
    problems = []
    keys = {*VARIANT_KEYS, *OPTIONAL_VARIANTS, "default"}
    for nation, note in answer.nation_notes.items():
        if nation not in nations():
            problems.append(f"{answer.id}: nation_notes for unknown nation {nation!r}")
        if isinstance(note, dict):
            problems += [f"{answer.id}: nation_notes.{nation}: unknown key {k!r}" for k in set(note) - keys]
    return problems


# A 16-17 text that speaks to the reader as under 18: an 18-year-old needs a pupil_18plus variant instead.
_SPEAKS_TO_UNDER_18 = re.compile(
    r"you('re| are) (still )?under 18|even at 16 or 17|you('re| are) 16 or 17|turn 18", re.I
)


def under_18_services() -> set[str]:
    """Services only for under-18s (Report Remove, CEOP): never a route for an 18-year-old."""
    return {sid for sid, s in services().items() if s.max_age is not None and s.max_age < 18}


def _adult_problems(answer: Answer) -> list[str]:
    """An answer whose 16-17 wording an 18-year-old would read wrongly must have a pupil_18plus variant."""
    if answer.variants.get("pupil_18plus"):
        text = answer.variants["pupil_18plus"]
        bad = placeholders(text) & under_18_services()
        return [f"{answer.id}: pupil_18plus names under-18 services {sorted(bad)}"] if bad else []
    text = answer.variants.get("pupil_16_17") or ""
    if placeholders(text) & under_18_services() or _SPEAKS_TO_UNDER_18.search(text):
        return [f"{answer.id}: needs a pupil_18plus variant (its 16-17 wording is for under-18s)"]
    return []
