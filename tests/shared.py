"""../shared beside the project (the public eval cases and converse.py): tests that need it skip without it."""

from __future__ import annotations

from pathlib import Path

import pytest

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"


def shared_eval(name: str) -> Path:
    """The file in ../shared/eval, or a skip that says why when it is not there."""
    path = EVAL / name
    if not path.exists():
        pytest.skip(
            f"../shared/eval/{name} is missing: ../shared is not beside the project (a clone outside this setup)"
        )
    return path
