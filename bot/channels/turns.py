"""One conversation turn, bounded in time and guarded against failure, for every input channel.

Rasa 3.6 waits up to 5 minutes for the action server (`DEFAULT_REQUEST_TIMEOUT`, not configurable in
endpoints.yml), and when the tracker store cannot be reached it carries on with an empty conversation. A
channel hands each message to `guarded_turn` instead: a turn that takes longer than `TURN_TIMEOUT` seconds is
cancelled (and not stored), and a turn that fails, or whose conversation the tracker store could not read or
write (`report_store_failure`), counts as failed. The channel then answers with the apology and help routes
(bot/content/system.yml) in place of anything the turn said. The log gets one line with the cause, never
the message text.
"""

from __future__ import annotations

import asyncio
import logging
import os
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, List, Optional

from rasa.core.channels.channel import UserMessage

logger = logging.getLogger(__name__)

DEFAULT_TURN_TIMEOUT = 20.0

# The tracker store's failures during the running turn (None outside a guarded turn).
_store_failures: ContextVar[Optional[List[str]]] = ContextVar("store_failures", default=None)


def turn_timeout() -> float:
    """Seconds a turn may take before the person gets the apology: TURN_TIMEOUT, 20 by default."""
    try:
        seconds = float(os.environ.get("TURN_TIMEOUT") or DEFAULT_TURN_TIMEOUT)
    except ValueError:
        seconds = DEFAULT_TURN_TIMEOUT
    return seconds if seconds > 0 else DEFAULT_TURN_TIMEOUT


def report_store_failure(cause: str) -> None:
    """The tracker store could not read or write the running turn's conversation: the turn has failed."""
    failures = _store_failures.get()
    if failures is not None:
        failures.append(cause)


def store_failed() -> bool:
    """Whether the tracker store has failed during the running turn."""
    return bool(_store_failures.get())


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
        await asyncio.wait_for(on_new_message(message), timeout=turn_timeout())
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
