"""One replaced attribute of a Rasa, spaCy or TensorFlow class, put in place only on the Rasa it was written for."""

from __future__ import annotations

import logging
from typing import Any, Optional

import rasa

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"  # every speed-up was written against, and checked with, this release


def supported(name: str, rasa_version: Optional[str] = None) -> bool:
    """Whether this Rasa is the one the speed-ups were written for; a warning when it is not."""
    version = rasa.__version__ if rasa_version is None else rasa_version
    if version == RASA_VERSION:
        return True
    logger.warning("speed-up %s not installed: written for Rasa %s, this is %s", name, RASA_VERSION, version)
    return False


class Patch:
    """`owner.attribute` replaced by `replacement` (as stored on the class: a function, staticmethod or
    classmethod); Rasa's own is kept to put back."""

    def __init__(self, owner: Any, attribute: str, replacement: Any) -> None:
        self.owner = owner
        self.attribute = attribute
        self.replacement = replacement
        self.original = owner.__dict__[attribute]

    @property
    def target(self) -> str:
        """The replaced attribute's full name, as the registry lists it."""
        return f"{self.owner.__module__}.{self.owner.__qualname__}.{self.attribute}"

    @property
    def installed(self) -> bool:
        return self.owner.__dict__.get(self.attribute) is self.replacement

    def install(self, rasa_version: Optional[str] = None) -> bool:
        """Put the replacement in place (idempotent); False, changing nothing, on another Rasa."""
        if not supported(self.target, rasa_version):
            return False
        setattr(self.owner, self.attribute, self.replacement)
        return True

    def uninstall(self) -> None:
        setattr(self.owner, self.attribute, self.original)
