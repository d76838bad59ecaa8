"""The topic families of the insights, read from families.yml (content, not code)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Tuple

from bot import yaml_files

FAMILIES_FILE = Path(__file__).with_name("families.yml")


@dataclass(frozen=True)
class Family:
    id: str
    label: str
    intents: Tuple[str, ...]


@dataclass(frozen=True)
class Families:
    """The families in report order, which intent each one counts, and the intents counted nowhere."""

    families: Tuple[Family, ...]
    not_counted: Tuple[str, ...]

    @property
    def ids(self) -> Tuple[str, ...]:
        return tuple(f.id for f in self.families)

    @functools.cached_property
    def by_intent(self) -> Dict[str, str]:
        return {intent: f.id for f in self.families for intent in f.intents}

    def label(self, family_id: str) -> str:
        return next(f.label for f in self.families if f.id == family_id)

    def family_of(self, intent: str | None) -> str | None:
        """The family an intent counts in, or None (greetings, out of scope, unknown names)."""
        return self.by_intent.get(intent or "")


def parse(data: dict) -> Families:
    """Families from the file's data; ValueError if an intent is named twice or an entry is incomplete."""
    seen: Dict[str, str] = {}
    families = []
    for entry in data.get("families") or []:
        fid, label, intents = entry.get("id"), entry.get("label"), entry.get("intents") or []
        if not fid or not label or not intents:
            raise ValueError(f"a family needs an id, a label and intents: {entry!r}")
        for intent in intents:
            if intent in seen:
                raise ValueError(f"intent {intent} is in both {seen[intent]} and {fid}")
            seen[intent] = fid
        families.append(Family(str(fid), str(label), tuple(intents)))
    not_counted = tuple(data.get("not_counted") or [])
    for intent in not_counted:
        if intent in seen:
            raise ValueError(f"intent {intent} is both counted ({seen[intent]}) and not counted")
    if len({f.id for f in families}) != len(families):
        raise ValueError("two families have the same id")
    return Families(tuple(families), not_counted)


@functools.lru_cache(maxsize=None)
def families(path: str | None = None) -> Families:
    """The families file (bot/insights/families.yml unless another path is given)."""
    return parse(yaml_files.load(path or FAMILIES_FILE) or {})
