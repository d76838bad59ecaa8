"""Every environment setting of the assistant in one place, each with its default: `settings()`.

A field's environment variable is its name in capitals (`turn_timeout` is TURN_TIMEOUT); docs/configuration.md
lists them all (a unit test checks). `settings()` reads the process's environment, once, and again only when
one of the variables changes; `settings(env)`, the same as `Settings.from_env(env)`, reads a mapping (tests
pass their own).

Numbers that are missing, not numbers or not positive fall back to their default (logged). With
BOT_PRODUCTION=1, `from_env` refuses values that are unsafe in production (UnsafeSettings names each one):
the development tokens the Makefile makes up, a messaging channel without a strong CONVERSATION_ID_KEY,
CORS open to every origin, and plain http for the messaging webhooks and APIs.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional, Tuple

from bot.answers.audience import parse_audience

logger = logging.getLogger(__name__)

_FALSE = ("0", "false", "no", "off")
MIN_ID_KEY_LENGTH = 16  # CONVERSATION_ID_KEY: a phone number has few digits; a short key would let them be guessed


class UnsafeSettings(ValueError):
    """BOT_PRODUCTION is set and some settings are unsafe; the message names each one and what to do."""


@dataclass(frozen=True)
class Settings:
    """The environment settings; see docs/configuration.md for each one."""

    # production
    bot_production: bool = False
    # the school
    school_profile: str = ""  # empty: bot/content/school.yml
    # the servers
    rasa_token: str = ""  # the Rasa HTTP API's token; also opens the insights page (bot/web_server.py)
    cors_origins: Tuple[str, ...] = ()  # space-separated in CORS_ORIGINS (the container's entry point reads it)
    tracker_db: str = "conversations.db"
    db_host: str = ""
    db_port: int = 5432
    db_name: str = "rasa"
    db_user: str = ""
    db_password: str = ""
    postgresql_schema: str = ""
    turn_timeout: float = 20.0
    turn_concurrency: int = 2
    bot_speedups: bool = True
    # rate limits (messages a minute, and at once)
    chat_rate_limit: float = 30.0  # the widget: a pupil clicking through quiz buttons stays far below this
    chat_rate_burst: float = 20.0
    channel_rate_limit: float = 10.0  # messaging channels: a parent types a few messages a minute
    channel_rate_burst: Optional[float] = None  # None: the same as the limit
    # the messaging channels
    channel_audience: str = "parent"
    conversation_id_key: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_number: str = ""
    twilio_webhook_base: str = ""
    twilio_api_url: str = "https://api.twilio.com"
    telegram_token: str = ""
    telegram_secret_token: str = ""
    telegram_verify: str = ""  # the bot's username
    telegram_api_url: str = "https://api.telegram.org"
    # "Tell my school"
    tell_school_smtp_host: str = ""
    tell_school_smtp_port: Optional[int] = None  # None: 465 with TLS, else 587 (bot/tell_school/settings.py)
    tell_school_smtp_tls: str = "starttls"  # checked by bot/tell_school/settings.py
    tell_school_smtp_user: str = ""
    tell_school_smtp_password: str = ""
    tell_school_smtp_from: str = ""
    tell_school_smtp_ca_file: str = ""
    tell_school_smtp_timeout: float = 10.0
    tell_school_dsl_token: str = ""
    tell_school_inbox_url: str = ""
    tell_school_chat_limit: float = 3.0
    tell_school_address_limit: float = 10.0
    tell_school_lookup_limit: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """The settings from `env`; UnsafeSettings when BOT_PRODUCTION is set and some are unsafe."""
        values = {field.name: _read(field, env) for field in dataclasses.fields(cls)}
        found = cls(**{name: value for name, value in values.items() if value is not _DEFAULT})
        problems = found.unsafe() if found.bot_production else []
        if problems:
            raise UnsafeSettings("BOT_PRODUCTION is set and these settings are unsafe:\n- " + "\n- ".join(problems))
        return found

    def unsafe(self) -> List[str]:
        """What would be unsafe in production, one line each (empty when nothing is)."""
        problems = []
        if unsafe_token(self.rasa_token):
            problems.append("RASA_TOKEN is the development token (change-me...): set your own")
        if self.tell_school_dsl_token.startswith("dsl-change-me"):
            problems.append("TELL_SCHOOL_DSL_TOKEN is the development password (dsl-change-me...): set your own")
        messaging = self.twilio_account_sid or self.telegram_token
        if messaging and len(self.conversation_id_key) < MIN_ID_KEY_LENGTH:
            problems.append(
                f"CONVERSATION_ID_KEY must be set, at least {MIN_ID_KEY_LENGTH} characters, when WhatsApp, SMS "
                "or Telegram is configured (for example `openssl rand -hex 32`)"
            )
        if wildcard_cors(self.cors_origins):
            problems.append("CORS_ORIGINS is '*': name the school pages that embed the widget")
        for name in ("twilio_webhook_base", "twilio_api_url", "telegram_api_url"):
            value = getattr(self, name)
            if value and not value.lower().startswith("https://"):
                problems.append(f"{name.upper()} must be an https:// address")
        return problems


def unsafe_token(token: str) -> bool:
    """Whether a Rasa API token is a development one: `make run` and bot/serve.py make up change-me tokens."""
    return token.startswith("change-me")


def wildcard_cors(origins: Tuple[str, ...]) -> bool:
    """Whether CORS is open to every origin."""
    return "*" in origins


@functools.lru_cache(maxsize=None)
def env_names() -> Tuple[str, ...]:
    """The environment variable of every field, in order."""
    return tuple(field.name.upper() for field in dataclasses.fields(Settings))


def settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    """The settings of `env`; without it the process's, read once and again only when a variable changes."""
    if env is not None:
        return Settings.from_env(env)
    return _cached(tuple(os.environ.get(name) for name in env_names()))


@functools.lru_cache(maxsize=8)
def _cached(values: Tuple[Optional[str], ...]) -> Settings:
    return Settings.from_env({name: value for name, value in zip(env_names(), values) if value is not None})


# ------------------------------------------------------------------ reading one field

_DEFAULT = object()  # the field keeps its default


def _read(field: dataclasses.Field, env: Mapping[str, str]) -> Any:
    name = field.name.upper()
    raw = env.get(name)
    reader = _READERS.get(field.name)
    if reader is not None:
        return reader(name, raw, field.default)
    if isinstance(field.default, bool):
        return _switch(raw, field.default)
    if isinstance(field.default, (int, float)) or field.default is None:
        return _positive(name, raw, field.default, int if isinstance(field.default, int) else float)
    text = (raw or "").strip()
    return text if text else _DEFAULT


def _switch(raw: Optional[str], default: bool) -> Any:
    if raw is None or not raw.strip():
        return _DEFAULT
    value = raw.strip().lower()
    return value not in _FALSE if default else value in ("1", "true", "yes", "on")


def _positive(name: str, raw: Optional[str], default: Any, kind: Callable[[str], Any] = float) -> Any:
    """A positive number, or the default (logged when the value is not one)."""
    if raw is None or not str(raw).strip():
        return _DEFAULT
    try:
        number = kind(raw)
    except ValueError:
        number = 0
    if number <= 0:
        logger.warning("%s must be a positive number; using the default", name)
        return _DEFAULT
    return number


def _port(name: str, raw: Optional[str], default: Any) -> Any:
    return _positive(name, raw, default, lambda text: int(float(text)))


def _db_port(name: str, raw: Optional[str], default: Any) -> Any:
    """A bad port is an error (Rasa's SQL tracker store could not use it either), not the default."""
    if not raw:
        return _DEFAULT
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a port number") from None


def _url(name: str, raw: Optional[str], default: Any) -> Any:
    text = (raw or "").strip().rstrip("/")
    return text if text else _DEFAULT


def _audience(name: str, raw: Optional[str], default: Any) -> Any:
    audience = parse_audience(raw)
    if raw and not audience:
        logger.warning("%s must be pupil, parent or teacher; using %s", name, default)
    return audience or _DEFAULT


def _origins(name: str, raw: Optional[str], default: Any) -> Any:
    return tuple((raw or "").split()) or _DEFAULT


def _username(name: str, raw: Optional[str], default: Any) -> Any:
    return (raw or "").strip().lstrip("@") or _DEFAULT


def _lower(name: str, raw: Optional[str], default: Any) -> Any:
    return (raw or "").strip().lower() or _DEFAULT


def _as_given(name: str, raw: Optional[str], default: Any) -> Any:
    return raw or _DEFAULT  # a password is used as it is written


_READERS = {
    "db_port": _db_port,
    "db_user": _as_given,
    "db_password": _as_given,
    "tracker_db": _as_given,
    "cors_origins": _origins,
    "twilio_webhook_base": _url,
    "twilio_api_url": _url,
    "telegram_api_url": _url,
    "telegram_verify": _username,
    "channel_audience": _audience,
    "tell_school_smtp_port": _port,
    "tell_school_smtp_tls": _lower,
    "tell_school_smtp_user": _as_given,
    "tell_school_smtp_password": _as_given,
}
