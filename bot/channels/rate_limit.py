"""A token bucket per sender, for every channel.

Each sender may send `per_minute` messages a minute on average, and up to `burst` at once. Other senders are
not affected, so a school whose pupils share one public address is limited per conversation, never as a
whole (docs/scaling.md). Over the limit:
- the messaging channels (WhatsApp, Telegram) send one short polite reply (system text `rate_limited`) and
  then nothing until the bucket has a token again, since every reply there is a paid message;
- the widget's channels (REST, socket.io) answer every refused message with `chat_rate_limited`.

Pure, with an injectable clock. Settings: `<PREFIX>_RATE_LIMIT` (messages a minute) and `<PREFIX>_RATE_BURST`,
CHANNEL_ for the messaging channels and CHAT_ for the widget's.
"""

from __future__ import annotations

import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Mapping

logger = logging.getLogger(__name__)

ALLOW = "allow"  # answer the message
NOTIFY = "notify"  # over the limit: send the polite limit reply, once
DROP = "drop"  # over the limit and already told: send nothing

DEFAULT_PER_MINUTE = 10  # messaging channels: a parent types a few messages a minute
CHAT_PER_MINUTE = 30  # the widget: a pupil clicking through quiz buttons stays far below this
CHAT_BURST = 20


@dataclass
class _Bucket:
    tokens: float
    updated: float
    notified: bool = False


class RateLimiter:
    """Per-sender token buckets, at most `max_senders` of them (the least recently seen are dropped first)."""

    def __init__(
        self,
        per_minute: float = DEFAULT_PER_MINUTE,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_senders: int = 10000,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.rate = per_minute / 60.0  # tokens a second
        self.burst = float(burst if burst is not None and burst >= 1 else per_minute)
        self.clock = clock
        self.max_senders = max_senders
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        prefix: str = "CHANNEL",
        per_minute: float = DEFAULT_PER_MINUTE,
        burst: float | None = None,
        **kwargs,
    ) -> RateLimiter:
        """Settings from <prefix>_RATE_LIMIT (a minute) and <prefix>_RATE_BURST; bad values use the defaults."""
        env = os.environ if env is None else env
        limit, burst_name = f"{prefix}_RATE_LIMIT", f"{prefix}_RATE_BURST"
        per_minute = _positive(env.get(limit), limit) or per_minute
        burst = _positive(env.get(burst_name), burst_name) or burst
        return cls(per_minute=per_minute, burst=burst, **kwargs)

    @classmethod
    def for_chat(cls, env: Mapping[str, str] | None = None, **kwargs) -> RateLimiter:
        """The widget's limit (REST and socket.io): CHAT_RATE_LIMIT and CHAT_RATE_BURST."""
        return cls.from_env(env, prefix="CHAT", per_minute=CHAT_PER_MINUTE, burst=CHAT_BURST, **kwargs)

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, sender: str) -> str:
        """Take a token for one message from the sender: ALLOW, NOTIFY (first refusal) or DROP."""
        now = self.clock()
        bucket = self._buckets.pop(sender, None)
        if bucket is None:
            bucket = _Bucket(tokens=self.burst, updated=now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + max(0.0, now - bucket.updated) * self.rate)
            bucket.updated = now
        self._buckets[sender] = bucket  # most recently seen last
        while len(self._buckets) > self.max_senders:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.notified = False
            return ALLOW
        if bucket.notified:
            return DROP
        bucket.notified = True
        return NOTIFY


def _positive(value: str | None, name: str) -> float | None:
    """A positive number from a setting, or None (logged) when it is missing or not one."""
    if value is None or not str(value).strip():
        return None
    try:
        number = float(value)
    except ValueError:
        number = 0
    if number <= 0:
        logger.warning("%s must be a positive number; using the default", name)
        return None
    return number
