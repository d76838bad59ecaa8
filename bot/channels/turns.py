"""One conversation turn, bounded in time and guarded against failure, for every input channel.

Rasa 3.6 waits up to 5 minutes for the action server (`DEFAULT_REQUEST_TIMEOUT`, not configurable in
endpoints.yml), and when the tracker store cannot be reached it carries on with an empty conversation. A
channel hands each message to `guarded_turn` instead: a turn that takes longer than `TURN_TIMEOUT` seconds is
cancelled (and not stored), and a turn that fails, or whose conversation the tracker store could not read or
write (`report_store_failure`), counts as failed. The channel then answers with the apology and help routes
(bot/content/system.yml) in place of anything the turn said. The log gets one line with the cause, never
the message text.

A server works on at most `TURN_CONCURRENCY` turns at once (2 by default); later messages wait in arrival
order. Rasa runs every turn it has accepted side by side on one event loop, so with 16 under way each waits
behind the others' work at every step (the parse, the action server call, the store), and a turn with more
steps waits longest: at 32 conversations an answer from the action server took twice as long as a safety
answer. Started turns now finish first, and the time limit counts the wait. A turn still running after
`SLOT_SECONDS` (it is waiting on something: a stalled action server, a lock) gives its place up, so a stall
cannot hold back other messages, a disclosure among them, for longer than that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Optional

from rasa.core.channels.channel import UserMessage

from bot.settings import settings

logger = logging.getLogger(__name__)

SLOT_SECONDS = 1.0

# The tracker store's failures during the running turn (None outside a guarded turn).
_store_failures: ContextVar[Optional[List[str]]] = ContextVar("store_failures", default=None)
# The trackers the running request's turns saved, by conversation (None outside `remembering_saves`).
_saved_trackers: ContextVar[Optional[Dict[str, Any]]] = ContextVar("saved_trackers", default=None)


def turn_timeout() -> float:
    """Seconds a turn may take before the person gets the apology: TURN_TIMEOUT, 20 by default."""
    return settings().turn_timeout


def turn_concurrency() -> int:
    """How many turns one server works on at once: TURN_CONCURRENCY, 2 by default."""
    return settings().turn_concurrency


_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _turn_slots() -> asyncio.Semaphore:
    """This event loop's turn slots (a semaphore wakes its waiters in arrival order)."""
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(turn_concurrency())
    return slots


async def _in_turn(on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage) -> None:
    """Run the turn in one of the slots, giving it up when the turn ends or after SLOT_SECONDS."""
    slots = _turn_slots()
    await slots.acquire()
    held = True

    def give_up() -> None:
        nonlocal held
        if held:
            held = False
            slots.release()

    timer = asyncio.get_running_loop().call_later(SLOT_SECONDS, give_up)
    try:
        await on_new_message(message)
    finally:
        timer.cancel()
        give_up()


def report_store_failure(cause: str) -> None:
    """The tracker store could not read or write the running turn's conversation: the turn has failed."""
    failures = _store_failures.get()
    if failures is not None:
        failures.append(cause)


def store_failed() -> bool:
    """Whether the tracker store has failed during the running turn."""
    return bool(_store_failures.get())


@contextlib.contextmanager
def remembering_saves() -> Iterator[None]:
    """Around a request: keep the tracker its turn saves, so the code after the turn need not read it back."""
    token = _saved_trackers.set({})
    try:
        yield
    finally:
        _saved_trackers.reset(token)


def remember_saved(tracker: Any) -> None:
    """The tracker store has saved this tracker for the running request (see `remembering_saves`)."""
    saved = _saved_trackers.get()
    if saved is not None:
        saved[tracker.sender_id] = tracker


def saved_tracker(sender_id: str) -> Optional[Any]:
    """The tracker the running request's turn saved for this conversation, or None."""
    return (_saved_trackers.get() or {}).get(sender_id)


def failure_cause(error: BaseException) -> str:
    """What went wrong, in words for the log."""
    if isinstance(error, asyncio.TimeoutError):
        return f"no reply within {turn_timeout():g} s (is the action server slow or stuck?)"
    return type(error).__name__


async def guarded_turn(
    on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage, log_id: str | None = None
) -> bool:
    """Hand one message to Rasa within the time limit; False (and one error line in the log) if the turn failed."""
    failures: List[str] = []
    token = _store_failures.set(failures)
    try:
        await asyncio.wait_for(_in_turn(on_new_message, message), timeout=turn_timeout())
        if not failures:
            return True
        cause = f"the tracker store is unavailable ({failures[0]})"
    except Exception as error:
        cause = failure_cause(error)
    finally:
        _store_failures.reset(token)
    who = f"{message.input_channel} turn for {log_id}" if log_id else f"{message.input_channel} turn"
    logger.error("%s failed: %s; answered with the apology", who, cause)
    return False
