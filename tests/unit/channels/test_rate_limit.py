"""bot.channels.rate_limit: a token bucket per sender, with an injected clock."""

from __future__ import annotations

import pytest

from bot.answers.answering import system_text
from bot.channels.rate_limit import ALLOW, DROP, NOTIFY, RateLimiter
from bot.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_one_notice_then_silence():
    limiter = RateLimiter(per_minute=10, clock=Clock())
    assert [limiter.check("a") for _ in range(10)] == [ALLOW] * 10
    assert limiter.check("a") == NOTIFY
    assert [limiter.check("a") for _ in range(5)] == [DROP] * 5


def test_other_senders_are_not_affected():
    limiter = RateLimiter(per_minute=10, clock=Clock())
    for _ in range(20):
        limiter.check("flood")
    assert limiter.check("flood") == DROP
    assert limiter.check("parent") == ALLOW


def test_bucket_refills_and_notice_can_come_again():
    clock = Clock()
    limiter = RateLimiter(per_minute=10, clock=clock)
    for _ in range(12):
        limiter.check("a")
    clock.now += 5  # under one token (one every 6 s)
    assert limiter.check("a") == DROP
    clock.now += 1.5
    assert limiter.check("a") == ALLOW
    assert limiter.check("a") == NOTIFY  # a new flood gets one new notice
    clock.now += 60
    assert [limiter.check("a") for _ in range(10)] == [ALLOW] * 10  # refilled to the burst, not beyond
    assert limiter.check("a") == NOTIFY


def test_burst_is_configurable():
    limiter = RateLimiter(per_minute=10, burst=3, clock=Clock())
    assert [limiter.check("a") for _ in range(4)] == [ALLOW, ALLOW, ALLOW, NOTIFY]


def test_settings_from_env():
    limiter = RateLimiter.from_env({"CHANNEL_RATE_LIMIT": "30", "CHANNEL_RATE_BURST": "5"}, clock=Clock())
    assert limiter.rate == pytest.approx(0.5) and limiter.burst == 5
    default = RateLimiter.from_env({}, clock=Clock())
    assert default.rate == pytest.approx(10 / 60) and default.burst == 10
    bad = RateLimiter.from_env({"CHANNEL_RATE_LIMIT": "lots", "CHANNEL_RATE_BURST": "-1"}, clock=Clock())
    assert bad.rate == pytest.approx(10 / 60) and bad.burst == 10


def test_senders_are_capped_least_recent_first():
    clock = Clock()
    limiter = RateLimiter(per_minute=1, clock=clock, max_senders=3)
    for sender in "abcd":
        limiter.check(sender)
    assert len(limiter) == 3
    assert limiter.check("d") == NOTIFY  # d is still known and out of tokens


def test_limit_text_is_short_and_has_help_routes():
    text = system_text("rate_limited")
    assert "{" not in text and len(text) < 400
    assert "999" in text and "wait" in text


def test_the_widgets_limit_has_its_own_settings_and_defaults():
    chat = RateLimiter.for_chat({"CHANNEL_RATE_LIMIT": "2"}, clock=Clock())
    assert chat.rate == pytest.approx(Settings.chat_rate_limit / 60) and chat.burst == Settings.chat_rate_burst
    tuned = RateLimiter.for_chat({"CHAT_RATE_LIMIT": "60", "CHAT_RATE_BURST": "4"}, clock=Clock())
    assert tuned.rate == pytest.approx(1.0) and tuned.burst == 4
    assert [tuned.check("pupil") for _ in range(5)] == [ALLOW] * 4 + [NOTIFY]


def test_chat_limit_text_is_short_and_has_childline_and_999():
    text = system_text("chat_rate_limited")
    assert "{" not in text and len(text) < 300
    assert "999" in text and "0800 1111" in text and "wait" in text
