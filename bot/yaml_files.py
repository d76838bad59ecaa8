"""The project's own YAML data files, each parsed once: `load(path)`.

The parsed data is cached by path (and read again when the file changes) and shared by every caller, so treat
it as read-only: copy it before changing it. libyaml's safe loader is used when installed, about ten times
faster than PyYAML's own on the safeguarding patterns; both read the same safe YAML.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(path: str | Path) -> Any:
    """The parsed file, shared: do not change it."""
    path = os.path.abspath(path)
    stat = os.stat(path)
    return _parse(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=None)
def _parse(path: str, mtime_ns: int, size: int) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_LOADER)
