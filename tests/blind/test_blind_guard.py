"""The blind set stays blind: well-formed for converse.py, and no message of it is in the training data.

Nothing may train or tune on tests/blind/ (see README.md there). This test fails when a blind message turns up,
word for word after normalising, as an NLU example, or inside any data or bot/ file (rules, stories, frames,
detector patterns, content). It cannot catch a paraphrase; not copying is still the rule.
"""

import re
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHARED_EVAL = ROOT.parent / "shared" / "eval"
CATEGORIES = {
    "disclosure",
    "sextortion",
    "self_harm",
    "law",
    "consent",
    "relationships",
    "help",
    "parent",
    "teacher",
    "benign",
    "out_of_scope",
}


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s£]", " ", text.lower().replace("’", "'").replace("'", "")).split())


def _cases() -> list[dict]:
    cases = []
    for path in sorted(HERE.glob("*.yml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append({**case, "_file": path.name})
    return cases


CASES = _cases()


def test_blind_set_is_well_formed():
    assert len(CASES) >= 300
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert case["category"] in CATEGORIES, case["id"]
        assert case["source"] and case["source"].strip().lower() != "written", case["id"]
        assert case["audience"] in {"pupil", "parent", "teacher", "none"}, case["id"]
        assert (case["audience"] == "pupil") == ("age" in case), case["id"]
        assert case["turns"] and all(t["say"].strip() and t.get("expect") for t in case["turns"]), case["id"]
    said = [_norm(t["say"]) for c in CASES for t in c["turns"]]
    assert len(said) == len(set(said))


@pytest.mark.skipif(not (SHARED_EVAL / "converse.py").exists(), reason="../shared/eval is not beside the repo")
def test_every_marker_is_one_converse_knows():
    sys.path.insert(0, str(SHARED_EVAL))
    try:
        import converse
    finally:
        sys.path.pop(0)
    for case in CASES:
        for turn in case["turns"]:
            for key in ("all", "any", "none"):
                for marker in turn["expect"].get(key, []) or []:
                    converse.compile_marker(marker)  # raises SystemExit on an unknown name


def _training_examples() -> set[str]:
    examples = set()
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []) or []:
            for line in (block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    examples.add(_norm(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.strip()[2:])))
    return examples


def _trainable_text() -> str:
    paths = [p for p in (ROOT / "data").rglob("*") if p.suffix in {".yml", ".yaml", ".json", ".md", ".txt"}]
    paths += [p for p in (ROOT / "bot").rglob("*") if p.suffix in {".yml", ".yaml", ".json", ".py", ".txt"}]
    paths += [ROOT / "domain.yml", ROOT / "config.yml"]
    return "\n".join(_norm(p.read_text(encoding="utf-8", errors="ignore")) for p in paths if p.is_file())


def test_no_blind_message_is_trained_on():
    training = _training_examples()
    corpus = _trainable_text()
    said = {_norm(t["say"]) for c in CASES for t in c["turns"]}
    assert not sorted(s for s in said if s in training)
    assert not sorted(s for s in said if len(s.split()) >= 4 and s in corpus)
