"""The UK nations: one normaliser for every way a profile or a person may name one (bot/content/nations.yml)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from bot import yaml_files

NATIONS_FILE = Path(__file__).resolve().parents[1] / "content" / "nations.yml"
DEFAULT_NATION = "england"


def nations() -> dict[str, dict]:
    """Every nation by key, in file order."""
    return yaml_files.load(NATIONS_FILE)


def _fold(name) -> str:
    """A name as a lookup key: lower case, no full stops, runs of spaces, hyphens and underscores as one '_'."""
    return re.sub(r"[\s_-]+", "_", str(name).replace(".", " ").strip().lower()).strip("_")


@functools.lru_cache(maxsize=None)
def _aliases() -> dict[str, str]:
    out = {}
    for key, entry in nations().items():
        for name in [key, *(entry.get("names") or [])]:
            out[_fold(name)] = key
    return out


def nation_key(value, field: str = "nation") -> str:
    """The nation's key for a name ("Northern Ireland", "NI", "scotland"); England when it is empty.

    Raises ValueError naming the field and the allowed values when the name is not a UK nation.
    """
    if value is None or _fold(value) == "":
        return DEFAULT_NATION
    key = _aliases().get(_fold(value))
    if key is None:
        allowed = ", ".join(nations())
        raise ValueError(
            f"{field}: {value!r} is not a UK nation; use one of {allowed} (or a name such as 'Northern Ireland')"
        )
    return key


def dsl_title(nation: str) -> str:
    """What schools in a nation call the safeguarding lead."""
    return nations()[nation_key(nation)]["dsl_title"]
