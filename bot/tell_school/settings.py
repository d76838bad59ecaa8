"""Settings of the route to school: the school profile's `tell_school` section and TELL_SCHOOL_* variables."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import Mapping

from bot import yaml_files
from bot.answers.content_library import CONTENT_DIR

PROFILE_KEYS = {"enabled", "dsl_email", "hours"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TLS_MODES = ("starttls", "tls", "none")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


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
    path = path or os.environ.get("SCHOOL_PROFILE") or str(CONTENT_DIR / "school.yml")
    section = (yaml_files.load(path) or {}).get("tell_school")
    return Profile() if section is None else profile_from(section)


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Smtp:
    """The school's SMTP server: TELL_SCHOOL_SMTP_HOST, _PORT, _TLS, _USER, _PASSWORD, _FROM, _CA_FILE, _TIMEOUT."""

    host: str = ""
    port: int = 587
    tls: str = "starttls"
    user: str = ""
    password: str = ""
    sender: str = ""
    ca_file: str = ""
    timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Smtp:
        env = os.environ if env is None else env
        tls = (env.get("TELL_SCHOOL_SMTP_TLS") or "starttls").strip().lower()
        if tls not in TLS_MODES:
            raise ValueError(f"TELL_SCHOOL_SMTP_TLS: {tls!r}; use one of {', '.join(TLS_MODES)}")
        host = (env.get("TELL_SCHOOL_SMTP_HOST") or "").strip()
        if tls == "none" and host and host not in LOOPBACK:
            raise ValueError("TELL_SCHOOL_SMTP_TLS=none is only allowed for a mail server on this machine (loopback)")
        return cls(
            host=host,
            port=int(_number(env, "TELL_SCHOOL_SMTP_PORT", 465 if tls == "tls" else 587)),
            tls=tls,
            user=env.get("TELL_SCHOOL_SMTP_USER") or "",
            password=env.get("TELL_SCHOOL_SMTP_PASSWORD") or "",
            sender=(env.get("TELL_SCHOOL_SMTP_FROM") or "").strip(),
            ca_file=(env.get("TELL_SCHOOL_SMTP_CA_FILE") or "").strip(),
            timeout=_number(env, "TELL_SCHOOL_SMTP_TIMEOUT", 10.0),
        )

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class Limits:
    """How many reports an hour one conversation (TELL_SCHOOL_CHAT_LIMIT, 3) and one address
    (TELL_SCHOOL_ADDRESS_LIMIT, 10) may send, and how many phrases an address may try (TELL_SCHOOL_LOOKUP_LIMIT, 30)."""

    per_chat: float = 3
    per_address: float = 10
    lookups: float = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if env is None else env
        return cls(
            per_chat=_number(env, "TELL_SCHOOL_CHAT_LIMIT", cls.per_chat),
            per_address=_number(env, "TELL_SCHOOL_ADDRESS_LIMIT", cls.per_address),
            lookups=_number(env, "TELL_SCHOOL_LOOKUP_LIMIT", cls.lookups),
        )


def dsl_token(env: Mapping[str, str] | None = None) -> str:
    """The DSL inbox page's password: TELL_SCHOOL_DSL_TOKEN (the page answers 503 without one)."""
    env = os.environ if env is None else env
    return (env.get("TELL_SCHOOL_DSL_TOKEN") or "").strip()


def inbox_url(env: Mapping[str, str] | None = None) -> str:
    """Where the DSL opens the inbox page, for the email: TELL_SCHOOL_INBOX_URL (optional)."""
    env = os.environ if env is None else env
    return (env.get("TELL_SCHOOL_INBOX_URL") or "").strip()
