"""bot/speedups/: installed only when asked, all in the registry, refused on another Rasa, off with BOT_SPEEDUPS=0."""

import gc
import importlib
import logging
import pkgutil
import re
import sys
from pathlib import Path

import pytest

from bot import speedups
from bot.serve import Stack

ROOT = Path(__file__).resolve().parents[2]
PATCH_MODULES = {m.name for m in pkgutil.iter_modules(speedups.__path__) if not m.name.startswith("_")}


def _ours(entry) -> bool:
    """Whether the patched attribute holds our code rather than the library's own."""
    patch = speedups.patch(entry)
    if entry.module == "gc_freeze":
        return patch.installed
    value = patch.owner.__dict__[patch.attribute]
    return getattr(value, "__func__", value).__module__.startswith("bot.")


@pytest.fixture
def stock():
    """Rasa's own classes before and after the test."""
    speedups.uninstall()
    yield
    speedups.uninstall()


def test_importing_the_pipeline_and_the_rest_of_bot_leaves_rasa_untouched(stock):
    import bot.nlu.classifiers  # noqa: F401
    import bot.nlu.components  # noqa: F401

    for module in pkgutil.walk_packages(bot.__path__, "bot."):
        if not module.name.startswith("bot.speedups"):
            importlib.import_module(module.name)
    assert [entry.module for entry in speedups.REGISTRY if _ours(entry)] == []


def test_the_registry_lists_every_patch_with_what_it_replaces_its_gain_and_its_test():
    assert {entry.module for entry in speedups.REGISTRY} == PATCH_MODULES
    assert len(speedups.REGISTRY) == len(PATCH_MODULES)
    for entry in speedups.REGISTRY:
        assert entry.replaces == speedups.patch(entry).target
        assert entry.gain
        path, name = entry.test.split("::")
        assert re.search(rf"^def {name}\(", (ROOT / path).read_text(encoding="utf-8"), re.M), entry.test


def test_install_puts_every_patch_in_place_and_uninstall_takes_them_out(stock):
    assert speedups.install(env={}) == [entry.module for entry in speedups.REGISTRY]
    assert all(_ours(entry) and speedups.patch(entry).installed for entry in speedups.REGISTRY)
    assert speedups.install(env={"BOT_SPEEDUPS": "1"})  # again: no harm
    speedups.uninstall()
    assert not any(_ours(entry) for entry in speedups.REGISTRY)


@pytest.mark.parametrize("value", ["0", "false", "off", " 0 "])
def test_bot_speedups_0_installs_nothing(stock, value):
    assert not speedups.enabled({"BOT_SPEEDUPS": value})
    assert speedups.install(env={"BOT_SPEEDUPS": value}) == []
    assert not any(_ours(entry) for entry in speedups.REGISTRY)


def test_another_rasa_gets_no_patch_and_a_warning_for_each(stock, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.speedups._patch"):
        assert speedups.install(env={}, rasa_version="3.6.20") == []
    assert not any(_ours(entry) for entry in speedups.REGISTRY)
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == len(speedups.REGISTRY)
    assert all("written for Rasa 3.6.21, this is 3.6.20" in message for message in warned)


def test_the_freeze_takes_import_time_objects_out_of_collections(stock):
    patch = speedups.patch(speedups.REGISTRY[0])
    assert patch.install()
    assert gc.get_freeze_count() > 100_000  # TensorFlow's, Rasa's and spaCy's objects, at least
    patch.uninstall()
    assert gc.get_freeze_count() == 0


def test_the_server_starts_rasa_through_the_speedups_entry_point(monkeypatch):
    spawned = []
    stack = Stack(5005, 5055)
    monkeypatch.setattr(stack, "_spawn", lambda name, args, **env: spawned.append((name, args)))
    stack.start_rasa()
    [(name, args)] = spawned
    assert name == "rasa" and args[1:4] == ["-m", "bot.speedups", "run"]
    entrypoint = (ROOT / "deploy" / "docker-entrypoint.sh").read_text(encoding="utf-8")
    assert "exec python -m bot.speedups run" in entrypoint


def test_the_entry_point_installs_them_then_runs_rasas_command_line(stock, monkeypatch, capsys):
    import rasa.__main__

    from bot.speedups.__main__ import main

    seen = []
    monkeypatch.setattr(rasa.__main__, "main", lambda: seen.append((list(sys.argv), _installed())))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    main(["run", "--model", "models/assistant.tar.gz"])
    speedups.uninstall()
    monkeypatch.setenv("BOT_SPEEDUPS", "0")
    main(["train"])
    assert seen == [(["rasa", "run", "--model", "models/assistant.tar.gz"], True), (["rasa", "train"], False)]
    said = capsys.readouterr().err
    every = len(speedups.REGISTRY)
    assert f"speed-ups (bot/speedups): {every} of {every} installed" in said and "(bot/speedups): off" in said


def _installed() -> bool:
    return all(speedups.patch(entry).installed for entry in speedups.REGISTRY)
