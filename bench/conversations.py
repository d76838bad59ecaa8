"""The conversations the load test replays: the public eval cases, with their audience and age."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_CASES = ROOT.parent / "shared" / "eval" / "public_cases.yml"
FALLBACK = ROOT / "tests" / "nlu"


def load() -> list[dict]:
    """Each conversation: {"metadata": {...}, "turns": [text, ...]}.

    The public eval cases when they sit beside the project; otherwise one-turn conversations made from the
    held-out NLU examples, so that `make bench` still runs on a clone without them.
    """
    if PUBLIC_CASES.exists():
        cases = yaml.safe_load(PUBLIC_CASES.read_text(encoding="utf-8"))
        return [_from_case(case) for case in cases]
    return [{"metadata": {"audience": "pupil"}, "turns": [text]} for text in _nlu_examples()]


def _from_case(case: dict) -> dict:
    metadata = {}
    if case.get("audience") in ("pupil", "parent", "teacher"):
        metadata["audience"] = case["audience"]
    if case.get("age"):
        metadata["age"] = case["age"]
    return {"metadata": metadata, "turns": [turn["say"] for turn in case["turns"]]}


def _nlu_examples() -> list[str]:
    texts = []
    for path in sorted(FALLBACK.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            texts += [line[2:].strip() for line in block.get("examples", "").splitlines() if line.startswith("- ")]
    return texts
