"""A guarded turn (bot/channels/turns.py): cut off when too slow, failed when it raises or the tracker store
fails, one log line with the cause and never the message text."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.turns import (
    guarded_turn,
    remember_saved,
    remembering_saves,
    report_store_failure,
    saved_tracker,
    store_failed,
    turn_timeout,
)
from bot.settings import Settings

TEXT = "a private message from Priya"


def message() -> UserMessage:
    return UserMessage(TEXT, CollectingOutputChannel(), "s1", input_channel="rest")


def outcome(handler, caplog) -> tuple:
    with caplog.at_level(logging.ERROR, logger="bot.channels.turns"):
        ok = asyncio.run(guarded_turn(handler, message()))
    assert TEXT not in caplog.text
    return ok, caplog.text


async def answers(_: UserMessage) -> None:
    return None


def test_a_turn_that_answers_is_ok(caplog):
    assert outcome(answers, caplog) == (True, "")


def test_a_stuck_turn_is_cut_off_after_turn_timeout(monkeypatch, caplog):
    async def stuck(_: UserMessage) -> None:
        await asyncio.Event().wait()

    monkeypatch.setenv("TURN_TIMEOUT", "0.05")
    ok, log = outcome(stuck, caplog)
    assert not ok and "rest turn failed: no reply within 0.05 s" in log


def test_a_turn_that_raises_fails(caplog):
    async def raises(_: UserMessage) -> None:
        raise RuntimeError(TEXT)

    ok, log = outcome(raises, caplog)
    assert not ok and "rest turn failed: RuntimeError" in log


def test_a_tracker_store_failure_fails_the_turn(caplog):
    async def store_down(_: UserMessage) -> None:
        report_store_failure("OperationalError")
        assert store_failed()

    ok, log = outcome(store_down, caplog)
    assert not ok and "the tracker store is unavailable (OperationalError)" in log
    assert not store_failed()  # only inside the turn


@pytest.mark.parametrize("value,seconds", [("", Settings.turn_timeout), ("7.5", 7.5), ("x", 20.0), ("-1", 20.0)])
def test_turn_timeout_setting(monkeypatch, value, seconds):
    monkeypatch.setenv("TURN_TIMEOUT", value)
    assert turn_timeout() == seconds


def _run_turns(handlers):
    async def main():
        tasks = []
        for handler in handlers:
            tasks.append(asyncio.create_task(guarded_turn(handler, message())))
            await asyncio.sleep(0)  # each message arrives after the one before
        return await asyncio.gather(*tasks)

    return asyncio.run(main())


def test_a_server_works_on_turn_concurrency_turns_at_once_in_arrival_order(monkeypatch):
    monkeypatch.setenv("TURN_CONCURRENCY", "2")
    running, most, started = [], [], []

    def turn(n):
        async def handler(_: UserMessage) -> None:
            started.append(n)
            running.append(n)
            most.append(len(running))
            for _ in range(3):  # steps with waits between them, as a turn awaits the stores and the action server
                await asyncio.sleep(0.001)
            running.remove(n)

        return handler

    assert _run_turns([turn(n) for n in range(8)]) == [True] * 8
    assert max(most) == 2 and started == list(range(8))


def test_a_stalled_turn_gives_its_place_up_so_later_messages_are_answered(monkeypatch):
    monkeypatch.setenv("TURN_CONCURRENCY", "1")
    monkeypatch.setattr("bot.channels.turns.SLOT_SECONDS", 0.05)
    finished = []

    async def stalled(_: UserMessage) -> None:
        await asyncio.sleep(2)  # an action server that does not answer
        finished.append("stalled")

    async def disclosure(_: UserMessage) -> None:
        finished.append("disclosure")

    assert _run_turns([stalled, disclosure]) == [True, True]
    assert finished == ["disclosure", "stalled"]


def test_turn_concurrency_setting(monkeypatch):
    from bot.channels.turns import turn_concurrency

    for value, turns in (("3", 3), ("", Settings.turn_concurrency), ("0", Settings.turn_concurrency), ("x", 2)):
        monkeypatch.setenv("TURN_CONCURRENCY", value)
        assert turn_concurrency() == turns


def test_a_saved_tracker_is_remembered_for_the_request_only():
    tracker = SimpleNamespace(sender_id="abc")
    remember_saved(tracker)  # outside a request: nothing is kept
    assert saved_tracker("abc") is None
    with remembering_saves():
        assert saved_tracker("abc") is None
        remember_saved(tracker)
        assert saved_tracker("abc") is tracker
        assert saved_tracker("someone else") is None
    assert saved_tracker("abc") is None


def test_a_tracker_saved_inside_a_guarded_turn_is_seen_after_it():
    """The turn runs as its own task (a copy of the context); what it saves is still seen around it."""
    tracker = SimpleNamespace(sender_id="abc")

    async def on_new_message(message):
        remember_saved(tracker)

    async def request():
        with remembering_saves():
            assert await guarded_turn(on_new_message, UserMessage("hi", sender_id="abc"))
            return saved_tracker("abc")

    assert asyncio.run(request()) is tracker
