"""Who is talking: audiences, pupil age bands and the variant key an answer is written for."""

from __future__ import annotations

import re

AUDIENCES = ("pupil", "parent", "teacher")

# Pupil age bands: (band, youngest, oldest). 18 and over has a band of its own: its help routes change (see
# bot.answers.routes), and an answer may give it its own wording (pupil_18plus); without one it reads the 16-17 wording.
AGE_BANDS = (
    ("u10", 0, 10),
    ("11_13", 11, 13),
    ("14_15", 14, 15),
    ("16_17", 16, 17),
    ("18plus", 18, 200),
)
DEFAULT_BAND = "11_13"  # a pupil whose age is unknown, unless the school profile sets `default_band`
# The bands a school may choose as its default: not 18plus, whose routes leave out the under-18 services.
DEFAULT_BAND_CHOICES = ("u10", "11_13", "14_15", "16_17")
VARIANT_KEYS = ("pupil_u10", "pupil_11_13", "pupil_14_15", "pupil_16_17", "parent", "teacher")  # every answer has these
# Optional variants, and the wording each falls back to when an answer does not have it.
OPTIONAL_VARIANTS = {"pupil_18plus": "pupil_16_17"}

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


def band_key(value, field: str = "default_band") -> str:
    """A band a school may choose as its default ("11_13", "11-13", "U10"); ValueError naming the field if not."""
    key = str(value or "").strip().lower().replace("-", "_")
    if key not in DEFAULT_BAND_CHOICES:
        hint = ' (in YAML, write it in quotes: "11_13")' if isinstance(value, int) else ""
        raise ValueError(
            f"{field}: {value!r} is not a pupil age band; use one of {', '.join(DEFAULT_BAND_CHOICES)}{hint}"
        )
    return key


def age_band(age: int | None) -> str:
    """The pupil band for an age; the 11-13 band when the age is unknown."""
    if age is None:
        return DEFAULT_BAND
    for band, low, high in AGE_BANDS:
        if low <= age <= high:
            return band
    return DEFAULT_BAND


def variant_key(audience: str | None, band: str | None, default_band: str = DEFAULT_BAND) -> str:
    """The content variant for an audience and band (unknown band: the school's default band).

    Unknown audiences read the pupil wording. 18 and over is `pupil_18plus`; see OPTIONAL_VARIANTS.
    """
    if audience in ("parent", "teacher"):
        return audience
    key = f"pupil_{band or default_band}"
    return key if key in VARIANT_KEYS or key in OPTIONAL_VARIANTS else f"pupil_{DEFAULT_BAND}"


def pick_variant(variants: dict, key: str):
    """The text an answer gives for a variant key: its own, else the fallback's, else the 11-13 wording."""
    return variants.get(key) or variants.get(OPTIONAL_VARIANTS.get(key, "")) or variants[f"pupil_{DEFAULT_BAND}"]
