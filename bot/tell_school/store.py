"""Reports to the DSL and each conversation's step, in two tables of their own beside the tracker store's.

SQLite or PostgreSQL, in the tracker store's database (the tracker store itself never holds a report's text):
- `tell_school_reports`: what was sent, when, by which kind of reader (pupil and age band, or parent), whether
  the email went, when the DSL saw it, the reply. The reference phrase is kept only as its SHA-256.
- `tell_school_chats`: where a conversation is in the route (offered, writing, confirming, reading), the draft
  while it is being confirmed, and whether the offer was declined. A row not touched for a day is stale.
Reports are deleted `retention_days` after they were sent (`purge`, run by `make purge`).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.engine import Engine

DAY = 24 * 60 * 60
CHAT_TTL = DAY  # a step (and its draft) not touched for this long is forgotten

metadata = sa.MetaData()
REPORTS = sa.Table(
    "tell_school_reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created", sa.Float, nullable=False, index=True),
    sa.Column("phrase_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("reader", sa.String(16), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("emailed", sa.Boolean, nullable=False, default=False),
    sa.Column("seen", sa.Float, nullable=True),
    sa.Column("reply", sa.Text, nullable=True),
    sa.Column("replied", sa.Float, nullable=True),
)
CHATS = sa.Table(
    "tell_school_chats",
    metadata,
    sa.Column("sender", sa.String(255), primary_key=True),
    sa.Column("step", sa.String(16), nullable=False),
    sa.Column("draft", sa.Text, nullable=True),
    sa.Column("declined", sa.Boolean, nullable=False, default=False),
    sa.Column("offered", sa.Boolean, nullable=False, default=False),
    sa.Column("updated", sa.Float, nullable=False, index=True),
)


@dataclass(frozen=True)
class Chat:
    """Where one conversation is in the route. `step` is "", offered, explained, writing, confirming or reading."""

    sender: str
    step: str = ""
    draft: str | None = None
    declined: bool = False
    offered: bool = False

    def to(self, step: str, draft: str | None = None) -> Chat:
        return replace(self, step=step, draft=draft)


@dataclass(frozen=True)
class Report:
    id: int
    created: float
    reader: str
    message: str
    emailed: bool
    seen: float | None
    reply: str | None
    replied: float | None


def phrase_hash(phrase: str) -> str:
    return hashlib.sha256(phrase.encode("utf-8")).hexdigest()


class Store:
    """The two tables in one database, made when first used."""

    def __init__(self, engine: Engine, clock=time.time) -> None:
        self.engine = engine
        self.clock = clock
        metadata.create_all(engine)

    # ------------------------------------------------------------ conversations

    def chat(self, sender: str) -> Chat:
        """The conversation's step; a fresh one when there is none or it is stale."""
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(CHATS).where(CHATS.c.sender == sender)).first()
        if row is None or row.updated < self.clock() - CHAT_TTL:
            return Chat(sender)
        return Chat(row.sender, row.step, row.draft, bool(row.declined), bool(row.offered))

    def save_chat(self, chat: Chat) -> None:
        with self.engine.begin() as conn:
            _secure(conn)
            conn.execute(sa.delete(CHATS).where(CHATS.c.sender == chat.sender))
            conn.execute(
                sa.insert(CHATS).values(
                    sender=chat.sender,
                    step=chat.step,
                    draft=chat.draft,
                    declined=chat.declined,
                    offered=chat.offered,
                    updated=self.clock(),
                )
            )

    def forget_chat(self, sender: str) -> None:
        with self.engine.begin() as conn:
            _secure(conn)
            conn.execute(sa.delete(CHATS).where(CHATS.c.sender == sender))

    # ------------------------------------------------------------ reports

    def add(self, phrase: str, reader: str, message: str) -> int:
        """Keep a report; its number. IntegrityError when the phrase is taken (pick another)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.insert(REPORTS).values(
                    created=self.clock(), phrase_hash=phrase_hash(phrase), reader=reader, message=message, emailed=False
                )
            )
            return int(result.inserted_primary_key[0])

    def mark_emailed(self, number: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(REPORTS).where(REPORTS.c.id == number).values(emailed=True))

    def by_phrase(self, phrase: str) -> Report | None:
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(REPORTS).where(REPORTS.c.phrase_hash == phrase_hash(phrase))).first()
        return _report(row)

    def get(self, number: int) -> Report | None:
        with self.engine.begin() as conn:
            return _report(conn.execute(sa.select(REPORTS).where(REPORTS.c.id == number)).first())

    def reports(self) -> list[Report]:
        """Every report, newest first."""
        with self.engine.begin() as conn:
            return [_report(r) for r in conn.execute(sa.select(REPORTS).order_by(REPORTS.c.id.desc()))]

    def mark_seen(self, number: int) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(
                sa.update(REPORTS).where(REPORTS.c.id == number, REPORTS.c.seen.is_(None)).values(seen=self.clock())
            )
            return bool(done.rowcount)

    def reply(self, number: int, text: str) -> bool:
        """Keep the DSL's reply (a later reply replaces it); the report counts as seen."""
        now = self.clock()
        with self.engine.begin() as conn:
            done = conn.execute(
                sa.update(REPORTS)
                .where(REPORTS.c.id == number)
                .values(reply=text, replied=now, seen=sa.func.coalesce(REPORTS.c.seen, now))
            )
            return bool(done.rowcount)

    def purge(self, days: float) -> tuple[int, int]:
        """Delete reports older than `days` and stale steps: (reports, conversations) deleted.

        A conversation's step goes after a day, or sooner when the retention period is shorter, so that no
        conversation id outlives the purge of its conversation.
        """
        now = self.clock()
        with self.engine.begin() as conn:
            _secure(conn)
            reports = conn.execute(sa.delete(REPORTS).where(REPORTS.c.created < now - days * DAY)).rowcount
            stale = now - min(CHAT_TTL, days * DAY)
            chats = conn.execute(sa.delete(CHATS).where(CHATS.c.updated <= stale)).rowcount
        return int(reports or 0), int(chats or 0)


def _secure(conn) -> None:
    """On SQLite, deleted rows are overwritten on disk too."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")


def _report(row) -> Report | None:
    if row is None:
        return None
    return Report(row.id, row.created, row.reader, row.message, bool(row.emailed), row.seen, row.reply, row.replied)
