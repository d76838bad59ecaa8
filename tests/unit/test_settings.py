"""bot/settings.py: one default per setting, documented, read again when the environment changes, and refused
in production when unsafe."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bot.serve import refuse_unsafe_arguments
from bot.settings import Settings, UnsafeSettings, env_names, settings

ROOT = Path(__file__).resolve().parents[2]
SAFE_PRODUCTION = {
    "BOT_PRODUCTION": "1",
    "RASA_TOKEN": "a-long-random-token",
    "TELL_SCHOOL_DSL_TOKEN": "another-long-random-token",
    "CONVERSATION_ID_KEY": "0123456789abcdef0123456789abcdef",
    "TWILIO_ACCOUNT_SID": "AC123",
    "TWILIO_WEBHOOK_BASE": "https://bot.example.org",
    "TELEGRAM_TOKEN": "123:abc",
    "CORS_ORIGINS": "https://school.example.org",
}


def test_an_empty_environment_gives_the_defaults():
    assert Settings.from_env({}) == Settings()


def test_docs_configuration_names_every_setting():
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", (ROOT / "docs" / "configuration.md").read_text("utf-8")))
    missing = [name for name in env_names() if name not in documented]
    assert not missing, f"docs/configuration.md does not list {missing}"


def test_every_field_is_read_from_its_variable():
    env = {name: "7" for name in env_names()}
    env.update(BOT_PRODUCTION="0", BOT_SPEEDUPS="0", CHANNEL_AUDIENCE="teacher", TELL_SCHOOL_SMTP_TLS="tls")
    found = Settings.from_env(env)
    unchanged = [f.name for f in dataclasses.fields(Settings) if getattr(found, f.name) == f.default]
    assert unchanged == ["bot_production"], unchanged  # BOT_PRODUCTION=0 is its default


def test_numbers_that_are_not_positive_fall_back_to_their_defaults(caplog):
    found = Settings.from_env({"TURN_TIMEOUT": "soon", "CHANNEL_RATE_LIMIT": "-1", "TURN_CONCURRENCY": "2.5"})
    assert (found.turn_timeout, found.channel_rate_limit, found.turn_concurrency) == (20.0, 10.0, 2)
    assert "TURN_TIMEOUT must be a positive number" in caplog.text


def test_settings_are_read_again_when_a_variable_changes(monkeypatch):
    monkeypatch.setenv("TURN_TIMEOUT", "3")
    assert settings().turn_timeout == 3.0
    assert settings() is settings()
    monkeypatch.setenv("TURN_TIMEOUT", "4")
    assert settings().turn_timeout == 4.0


def test_a_safe_production_environment_is_accepted():
    assert Settings.from_env(SAFE_PRODUCTION).bot_production


@pytest.mark.parametrize(
    "changes,named",
    [
        ({"RASA_TOKEN": "change-me-0123456789ab"}, "RASA_TOKEN"),
        ({"TELL_SCHOOL_DSL_TOKEN": "dsl-change-me-0123456789ab"}, "TELL_SCHOOL_DSL_TOKEN"),
        ({"CONVERSATION_ID_KEY": ""}, "CONVERSATION_ID_KEY"),
        ({"CONVERSATION_ID_KEY": "short"}, "CONVERSATION_ID_KEY"),
        ({"CORS_ORIGINS": "https://school.example.org *"}, "CORS_ORIGINS"),
        ({"TWILIO_WEBHOOK_BASE": "http://bot.example.org"}, "TWILIO_WEBHOOK_BASE"),
        ({"TWILIO_API_URL": "http://127.0.0.1:9000"}, "TWILIO_API_URL"),
        ({"TELEGRAM_API_URL": "http://127.0.0.1:9000"}, "TELEGRAM_API_URL"),
    ],
)
def test_production_refuses_an_unsafe_setting(changes, named):
    with pytest.raises(UnsafeSettings, match=named):
        Settings.from_env({**SAFE_PRODUCTION, **changes})
    assert not Settings.from_env({**SAFE_PRODUCTION, **changes, "BOT_PRODUCTION": "0"}).bot_production


def test_production_needs_no_conversation_key_without_a_messaging_channel():
    env = {k: v for k, v in SAFE_PRODUCTION.items() if not k.startswith(("TWILIO", "TELEGRAM", "CONVERSATION"))}
    assert Settings.from_env(env).conversation_id_key == ""


def test_production_lists_every_unsafe_setting_at_once():
    env = {**SAFE_PRODUCTION, "RASA_TOKEN": "change-me", "CORS_ORIGINS": "*"}
    with pytest.raises(UnsafeSettings) as refused:
        Settings.from_env(env)
    assert "RASA_TOKEN" in str(refused.value) and "CORS_ORIGINS" in str(refused.value)


def test_make_run_arguments_are_checked_in_production(monkeypatch):
    for name in env_names():
        monkeypatch.delenv(name, raising=False)
    refuse_unsafe_arguments("change-me", ("*",))  # not in production: allowed
    for name, value in SAFE_PRODUCTION.items():
        monkeypatch.setenv(name, value)
    refuse_unsafe_arguments("a-long-random-token", ("https://school.example.org",))
    for token, cors in (("change-me-0123", ()), ("a-long-random-token", ("*",))):
        with pytest.raises(SystemExit, match="BOT_PRODUCTION"):
            refuse_unsafe_arguments(token, cors)
