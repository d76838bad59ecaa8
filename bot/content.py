"""Load, validate and render the content library in bot/content/.

Answers name services by id ({childline}, {childline.phone}); `render_text` fills them in from the
services registry and the school profile, so every number lives once, in services.yml.
"""

from __future__ import annotations

import functools
import os
import string
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.audience import VARIANT_KEYS

CONTENT_DIR = Path(__file__).resolve().parent / "content"
DEFAULT_DSL_TITLE = "designated safeguarding lead (DSL)"


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
    last_verified: str = ""
    source: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

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
    """The school profile: its name, nation and DSL."""

    name: str = "your school"
    nation: str = "england"
    dsl_title: str = DEFAULT_DSL_TITLE
    dsl_name: str = ""
    dsl_contact: str = ""
    quick_exit_url: str = ""
    retention_days: int = 30

    @property
    def dsl(self) -> str:
        """How an answer names the DSL: by name when the school gives one."""
        if self.dsl_name:
            who = f"{self.dsl_name}, the {self.dsl_title}"
            return f"{who} ({self.dsl_contact})" if self.dsl_contact else who
        return f"your school's {self.dsl_title}"

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


def _read(path: Path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


@functools.lru_cache(maxsize=None)
def services() -> dict[str, Service]:
    """The services registry, by id."""
    known = {f for f in Service.__dataclass_fields__ if f not in ("id", "extra", "nations")}
    out = {}
    for sid, raw in _read(CONTENT_DIR / "services.yml").items():
        fields = {k: (str(v) if k in ("phone", "text", "last_verified") else v) for k, v in raw.items() if k in known}
        extra = {k: v for k, v in raw.items() if k not in known and k != "nations"}
        out[sid] = Service(id=sid, nations=tuple(raw.get("nations") or ()), extra=extra, **fields)
    return out


@functools.lru_cache(maxsize=None)
def school(path: str | None = None) -> School:
    """The school profile: SCHOOL_PROFILE if set, else the generic default."""
    path = path or os.environ.get("SCHOOL_PROFILE") or str(CONTENT_DIR / "school.yml")
    raw = _read(Path(path)) or {}
    dsl = raw.get("dsl") or {}
    return School(
        name=raw.get("school_name") or School.name,
        nation=(raw.get("nation") or "england").lower(),
        dsl_title=dsl.get("title") or DEFAULT_DSL_TITLE,
        dsl_name=dsl.get("name") or "",
        dsl_contact=dsl.get("contact") or "",
        quick_exit_url=raw.get("quick_exit_url") or "",
        retention_days=int(raw.get("retention_days") or 30),
    )


@functools.lru_cache(maxsize=None)
def answers() -> dict[str, Answer]:
    """Every knowledge answer, by id (the intent it answers)."""
    out = {}
    for path in sorted((CONTENT_DIR / "answers").glob("*.yml")):
        for raw in _read(path) or []:
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


def render_answer(answer_id: str, variant: str, school_profile: School | None = None) -> str:
    """The text of an answer for a variant key, with the school's nation note when there is one."""
    answer = answers()[answer_id]
    profile = school_profile or school()
    text = answer.variants.get(variant) or answer.variants["pupil_11_13"]
    note = answer.nation_notes.get(profile.nation)
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
        for text in [*answer.variants.values(), *answer.nation_notes.values()]:
            for name in placeholders(text) - known:
                problems.append(f"{answer.id}: unknown placeholder {name}")
    return problems
