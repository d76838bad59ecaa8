"""Who is talking: audiences, pupil age bands and the variant key an answer is written for."""

from __future__ import annotations

import re

AUDIENCES = ("pupil", "parent", "teacher")

# Pupil age bands: (band, youngest, oldest). 18 and over still reads the 16-17 wording,
# but the help routes change (see bot.routes), so it has a band of its own.
AGE_BANDS = (
    ("u10", 0, 10),
    ("11_13", 11, 13),
    ("14_15", 14, 15),
    ("16_17", 16, 17),
    ("18plus", 18, 200),
)
DEFAULT_BAND = "11_13"  # a pupil whose age is unknown
VARIANT_KEYS = ("pupil_u10", "pupil_11_13", "pupil_14_15", "pupil_16_17", "parent", "teacher")

_AGE_IN_TEXT = re.compile(r"\d{1,2}")


def parse_age(value) -> int | None:
    """An age from metadata or an entity ("13", 13, "I'm 13", 13.0), or None when it is not a plausible age."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        age = int(value)
    else:
        found = _AGE_IN_TEXT.search(str(value))
        if not found:
            return None
        age = int(found.group())
    return age if 5 <= age <= 99 else None


def parse_audience(value) -> str | None:
    """A known audience name, or None."""
    if isinstance(value, str) and value.strip().lower() in AUDIENCES:
        return value.strip().lower()
    return None


def age_band(age: int | None) -> str:
    """The pupil band for an age; the 11-13 band when the age is unknown."""
    if age is None:
        return DEFAULT_BAND
    for band, low, high in AGE_BANDS:
        if low <= age <= high:
            return band
    return DEFAULT_BAND


def variant_key(audience: str | None, band: str | None) -> str:
    """The content variant for an audience and band. Unknown audiences read the pupil wording."""
    if audience in ("parent", "teacher"):
        return audience
    band = band or DEFAULT_BAND
    if band == "18plus":
        band = "16_17"
    key = f"pupil_{band}"
    return key if key in VARIANT_KEYS else f"pupil_{DEFAULT_BAND}"
