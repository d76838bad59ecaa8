"""Render the safety answers in bot/content/safety.yml for a situation, audience and age band.

The text is built here once, at build time, into domain.yml (see bot.answers.domain), so that a disclosure is
answered by the Rasa server alone, without the action server.
"""

from __future__ import annotations

from bot import yaml_files
from bot.answers.content_library import CONTENT_DIR, School, render_text, school, services
from bot.answers.routes import PUPIL_ALWAYS, routes

# Routes shown on a class screen while a lesson runs.
LESSON_ROUTES = ("childline", "dsl", "trusted_adult", "police_emergency")
# A representative age for each band, for the eligibility of services (Report Remove is under 18 only).
BAND_AGE = {"u10": 10, "11_13": 12, "14_15": 15, "16_17": 17, "18plus": 18}


def library() -> dict:
    """The safety content file."""
    return yaml_files.load(CONTENT_DIR / "safety.yml")


def _pick(table: dict, audience: str, band: str | None):
    """The entry for an audience and band: pupil_<band>, then the band's wording family, then pupil."""
    if audience in ("parent", "teacher", "lesson"):
        return table.get(audience)
    keys = [f"pupil_{band}"] if band else []
    if band == "18plus":
        keys.append("pupil_16_17")
    return next((table[k] for k in [*keys, "pupil"] if k in table), None)


def advice(situation: str, audience: str, band: str | None = None) -> str:
    """The situation's advice text, before placeholders are filled. On a class screen it is the same for all."""
    if audience == "lesson":
        return library()["lesson_advice"]
    return _pick(library()["situations"][situation], audience, band)


def render(
    situation: str, audience: str | None, band: str | None, profile: School | None = None, money: bool = False
) -> str:
    """The whole safety answer: opening, advice, (with `money`, the don't-pay note,) who can help, closing."""
    profile = profile or school()
    audience = audience if audience in ("parent", "teacher", "lesson") else "pupil"
    band = band or (profile.default_band if audience == "pupil" else None)
    lib = library()
    frame = _pick(lib["frame"], audience, band)
    heading = _pick(lib["help_heading"], audience, band)
    route_audience = "pupil" if audience == "lesson" else audience
    ids = routes(situation, route_audience, BAND_AGE.get(band), profile.nation)
    if audience == "lesson":  # on a class screen: only the people to talk to, no detail
        ids = [rid for rid in ids if rid in LESSON_ROUTES]
    lines = [f"- {lib['route_lines'][rid]}" for rid in ids]
    note = [_pick(lib["money_note"], audience, band)] if money else []
    parts = [frame["opening"], advice(situation, audience, band), *note, "\n".join([heading, *lines]), frame["closing"]]
    text = render_text("\n\n".join(parts), profile)
    if audience == "pupil":
        check_pupil_answer(text, BAND_AGE.get(band), f"{situation} for pupils, band {band}")
    return text


def check_pupil_answer(text: str, age: int | None, what: str) -> None:
    """Refuse a pupil's safety answer without Childline's number (while they are under 19) or 999."""
    registry = services()
    must = [registry[sid] for sid in PUPIL_ALWAYS if registry[sid].serves_age(age)]
    missing = [f"{s.name} ({s.phone})" for s in must if s.phone not in text]
    if missing:
        raise ValueError(f"{what}: the answer lacks {', '.join(missing)}")


def render_media(audience: str | None, profile: School | None = None) -> str:
    """What the bot says when someone sends a picture, video or voice note."""
    table = library()["media"]
    return render_text(table.get(audience) or table["pupil"], profile or school())


def bands_for_pupils() -> list[str | None]:
    """Every pupil band a safety answer is rendered for; None is an unknown age (the school's default band)."""
    return [None, *BAND_AGE]
