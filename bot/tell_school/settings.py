"""Settings of the route to school: the school profile's `tell_school` section, and the TELL_SCHOOL_* variables
(read by bot/settings.py) checked and grouped for the mailer and the chat."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Mapping

from bot import yaml_files
from bot.answers.content_library import CONTENT_DIR
from bot.settings import Settings, settings

PROFILE_KEYS = {"enabled", "dsl_email", "hours"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TLS_MODES = ("starttls", "tls", "none")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
TLS_PORT, STARTTLS_PORT = 465, 587  # TELL_SCHOOL_SMTP_PORT's default: by TELL_SCHOOL_SMTP_TLS


@dataclass(frozen=True)
class Profile:
    """The school profile's `tell_school` section."""

    enabled: bool = False
    dsl_email: str = ""
    hours: str = ""


def profile_from(raw: dict | None) -> Profile:
    """The section, checked: ValueError naming the field."""
    raw = raw or {}
    extra = sorted(set(raw) - PROFILE_KEYS)
    if extra:
        raise ValueError(f"tell_school: unknown field {extra[0]!r}; the fields are: {', '.join(sorted(PROFILE_KEYS))}")
    email = str(raw.get("dsl_email") or "").strip()
    if email and not _EMAIL.match(email):
        raise ValueError(f"tell_school.dsl_email: {email!r} is not an email address")
    enabled = raw.get("enabled", True) is True
    hours = str(raw.get("hours") or "").strip()
    if enabled and not hours:
        raise ValueError("tell_school.hours: say when the DSL reads messages, for example 'Mon–Fri 8:30–16:00'")
    return Profile(enabled=enabled, dsl_email=email, hours=hours)


@functools.lru_cache(maxsize=None)
def profile(path: str | None = None) -> Profile:
    """The section of SCHOOL_PROFILE (else bot/content/school.yml); switched off when the profile has none."""
    path = path or settings().school_profile or str(CONTENT_DIR / "school.yml")
    section = (yaml_files.load(path) or {}).get("tell_school")
    return Profile() if section is None else profile_from(section)


@dataclass(frozen=True)
class Smtp:
    """The school's SMTP server: TELL_SCHOOL_SMTP_HOST, _PORT, _TLS, _USER, _PASSWORD, _FROM, _CA_FILE, _TIMEOUT."""

    host: str = ""
    port: int = STARTTLS_PORT
    tls: str = Settings.tell_school_smtp_tls
    user: str = ""
    password: str = ""
    sender: str = ""
    ca_file: str = ""
    timeout: float = Settings.tell_school_smtp_timeout

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Smtp:
        found = settings(env)
        tls, host = found.tell_school_smtp_tls, found.tell_school_smtp_host
        if tls not in TLS_MODES:
            raise ValueError(f"TELL_SCHOOL_SMTP_TLS: {tls!r}; use one of {', '.join(TLS_MODES)}")
        if tls == "none" and host and host not in LOOPBACK:
            raise ValueError("TELL_SCHOOL_SMTP_TLS=none is only allowed for a mail server on this machine (loopback)")
        return cls(
            host=host,
            port=found.tell_school_smtp_port or (TLS_PORT if tls == "tls" else STARTTLS_PORT),
            tls=tls,
            user=found.tell_school_smtp_user,
            password=found.tell_school_smtp_password,
            sender=found.tell_school_smtp_from,
            ca_file=found.tell_school_smtp_ca_file,
            timeout=found.tell_school_smtp_timeout,
        )

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class Limits:
    """How many reports an hour one conversation (TELL_SCHOOL_CHAT_LIMIT, 3) and one address
    (TELL_SCHOOL_ADDRESS_LIMIT, 10) may send, and how many phrases an address may try (TELL_SCHOOL_LOOKUP_LIMIT, 30)."""

    per_chat: float = Settings.tell_school_chat_limit
    per_address: float = Settings.tell_school_address_limit
    lookups: float = Settings.tell_school_lookup_limit

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        found = settings(env)
        return cls(
            per_chat=found.tell_school_chat_limit,
            per_address=found.tell_school_address_limit,
            lookups=found.tell_school_lookup_limit,
        )


def dsl_token(env: Mapping[str, str] | None = None) -> str:
    """The DSL inbox page's password: TELL_SCHOOL_DSL_TOKEN (the page answers 503 without one)."""
    return settings(env).tell_school_dsl_token


def inbox_url(env: Mapping[str, str] | None = None) -> str:
    """Where the DSL opens the inbox page, for the email: TELL_SCHOOL_INBOX_URL (optional)."""
    return settings(env).tell_school_inbox_url
