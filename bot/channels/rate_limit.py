"""A token bucket per sender, for every channel.

Each sender may send `per_minute` messages a minute on average, and up to `burst` at once. Other senders are
not affected, so a school whose pupils share one public address is limited per conversation, never as a
whole (docs/scaling.md). Over the limit:
- the messaging channels (WhatsApp, Telegram) send one short polite reply (system text `rate_limited`) and
  then nothing until the bucket has a token again, since every reply there is a paid message;
- the widget's channels (REST, socket.io) answer every refused message with `chat_rate_limited`.

Pure, with an injectable clock. Settings (bot/settings.py): CHANNEL_RATE_LIMIT (messages a minute) and
CHANNEL_RATE_BURST for the messaging channels, CHAT_RATE_LIMIT and CHAT_RATE_BURST for the widget's.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Mapping

from bot.settings import Settings, settings

logger = logging.getLogger(__name__)

ALLOW = "allow"  # answer the message
NOTIFY = "notify"  # over the limit: send the polite limit reply, once
DROP = "drop"  # over the limit and already told: send nothing


@dataclass
class _Bucket:
    tokens: float
    updated: float
    notified: bool = False


class RateLimiter:
    """Per-sender token buckets, at most `max_senders` of them (the least recently seen are dropped first)."""

    def __init__(
        self,
        per_minute: float = Settings.channel_rate_limit,
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
        """The messaging channels' limit: CHANNEL_RATE_LIMIT (a minute) and CHANNEL_RATE_BURST."""
        found = settings(env)
        return cls(per_minute=found.channel_rate_limit, burst=found.channel_rate_burst, **kwargs)

    @classmethod
    def for_chat(cls, env: Mapping[str, str] | None = None, **kwargs) -> RateLimiter:
        """The widget's limit (REST and socket.io): CHAT_RATE_LIMIT and CHAT_RATE_BURST."""
        found = settings(env)
        return cls(per_minute=found.chat_rate_limit, burst=found.chat_rate_burst, **kwargs)

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
