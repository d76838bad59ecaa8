"""The objects the server's imports made, frozen out of Python's full garbage collections (`gc.freeze()`).

After the imports (TensorFlow, Rasa, spaCy) a process holds about 490,000 container objects, which every full
collection scanned (0.46 s a time). They live as long as the server, so they are frozen, and collections scan
only what turns make. Not a replacement of a Rasa attribute, but installed, switched off and version-checked
with the others.
"""

from __future__ import annotations

import gc
import importlib
from typing import Optional

from bot.speedups._patch import supported

SERVER_IMPORTS = ("rasa.core.run", "rasa.core.agent", "bot.nlu.components", "bot.nlu.classifiers")


class Freeze:
    """The freeze, with a Patch's interface."""

    target = "gc (Python's cycle collector: import-time objects frozen)"

    def __init__(self) -> None:
        self.installed = False

    def install(self, rasa_version: Optional[str] = None) -> bool:
        if not supported(self.target, rasa_version):
            return False
        for name in SERVER_IMPORTS:  # what a server imports anyway, so that it is frozen too
            importlib.import_module(name)
        gc.collect()
        gc.freeze()
        self.installed = True
        return True

    def uninstall(self) -> None:
        gc.unfreeze()
        self.installed = False


PATCH = Freeze()
