"""bot/yaml_files.py: each data file parsed once, and again when it changes."""

import os

from bot import yaml_files


def test_a_file_is_parsed_once_and_again_when_it_changes(tmp_path):
    path = tmp_path / "data.yml"
    path.write_text("a: 1\n", encoding="utf-8")
    first = yaml_files.load(path)
    assert first == {"a": 1} and yaml_files.load(str(path)) is first
    path.write_text("a: 22\n", encoding="utf-8")
    os.utime(path, ns=(0, os.stat(path).st_mtime_ns + 1_000_000))
    assert yaml_files.load(path) == {"a": 22}
