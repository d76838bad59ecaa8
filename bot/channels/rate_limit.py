"""A token bucket per sender for the messaging channels.

Each sender may send `per_minute` messages a minute on average, and up to `burst` at once. Over the limit
the first message gets one short polite reply (system text `rate_limited`); later ones get nothing until
the bucket has a token again. Other senders are not affected. Pure, with an injectable clock.
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

DEFAULT_PER_MINUTE = 10


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
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs) -> RateLimiter:
        """Settings from CHANNEL_RATE_LIMIT (messages a minute) and CHANNEL_RATE_BURST; bad values use the default."""
        env = os.environ if env is None else env
        per_minute = _positive(env.get("CHANNEL_RATE_LIMIT"), "CHANNEL_RATE_LIMIT") or DEFAULT_PER_MINUTE
        burst = _positive(env.get("CHANNEL_RATE_BURST"), "CHANNEL_RATE_BURST")
        return cls(per_minute=per_minute, burst=burst, **kwargs)

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
