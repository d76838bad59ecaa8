"""The chat's words for the route to school (bot/content/tell_school.yml), and reference phrases."""

from __future__ import annotations

import re
import secrets

from bot import yaml_files
from bot.answers.audience import variant_key
from bot.answers.content_library import CONTENT_DIR, School, school, services
from bot.tell_school.settings import profile

PHRASE_WORDS = 4
_WORD = re.compile(r"[a-z]+")


def library() -> dict:
    """The content file."""
    return yaml_files.load(CONTENT_DIR / "tell_school.yml")


def reader(audience: str | None, band: str | None, default_band: str | None = None) -> str:
    """The variant a text is written in: pupil_u10, pupil (11 and over), parent or teacher."""
    if audience in ("parent", "teacher"):
        return audience
    key = variant_key(audience, band, default_band or school().default_band)
    return "pupil_u10" if key == "pupil_u10" else "pupil"


def placeholders(school_profile: School | None = None) -> dict:
    """The values every text may use: the services registry, the school, its DSL, hours and retention."""
    p = school_profile or school()
    return {
        **services(),
        "school": p.name,
        "dsl": p.dsl,
        "dsl_title": p.dsl_role,
        "hours": profile().hours,
        "days": str(p.retention_days),
    }


def say(key: str, who: str, school_profile: School | None = None, **values: str) -> str:
    """One text for a reader; `values` (a message, a reply, a phrase) go in as they are, never read as a template."""
    entry = library()[key]
    text = entry if isinstance(entry, str) else entry.get(who) or entry["pupil"]
    return text.format_map({**placeholders(school_profile), **values})


def button(key: str) -> str:
    return library()["buttons"][key]


def page_text(key: str, **values: str) -> str:
    """A text of the DSL inbox page or the reply page."""
    return library()["pages"][key].format_map({**placeholders(), **values})


def new_phrase() -> str:
    """A reference phrase: four random words from the list, joined by dashes ("otter-maple-kite-river")."""
    words = library()["words"]
    return "-".join(secrets.choice(words) for _ in range(PHRASE_WORDS))


def read_phrase(text: str | None) -> str | None:
    """The phrase someone typed, however spaced, cased or punctuated; None unless it is four words of the list."""
    found = _WORD.findall((text or "").lower())
    known = set(library()["words"])
    if len(found) != PHRASE_WORDS or not all(w in known for w in found):
        return None
    return "-".join(found)


def example_phrase() -> str:
    """A fixed example of the form, for error messages."""
    return "-".join(library()["words"][i] for i in (0, 1, 2, 3))
