"""Keep conversations only as long as the school says, and forget one on request.

    python -m bot.privacy.retention purge [--days N] [--url URL]  delete conversations idle for more than N days
    python -m bot.privacy.retention forget SENDER_ID [--url URL]   delete every stored event of one conversation
    python -m bot.privacy.retention forget --phone NUMBER         ... of a WhatsApp or SMS number (07700 900123)
    python -m bot.privacy.retention forget --telegram CHAT_ID     ... of a Telegram chat

N defaults to `retention_days` in the school profile (30). `purge` deletes the messages sent to the DSL from the
chat (bot/tell_school) after the same N days. The database is the SQL tracker store:
--url (an SQLAlchemy URL), else PostgreSQL from DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD when DB_HOST
is set, else the SQLite file TRACKER_DB (conversations.db). Only counts are printed, never message text.
A number or chat id is found by the channels' keyed hash (CONVERSATION_ID_KEY; bot/channels/conversation_ids.py),
and by the ids that versions before that setting made (hashed with TWILIO_AUTH_TOKEN; `tg-` and the chat id).

Before a purge deletes conversations, their anonymous weekly topic counts are added to the `insights_weekly`
table (bot/insights), so the school's insights outlive them. A conversation forgotten on request leaves nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List, Mapping, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from bot.channels import conversation_ids
from bot.settings import settings

EVENTS = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))
DAY = 24 * 60 * 60


def database_url(url: str | None = None, env: dict | None = None) -> URL:
    """Where the conversations are: --url, else PostgreSQL from the DB_* variables, else the SQLite file."""
    if url:
        return make_url(url)
    found = settings(env)
    if found.db_host:
        return URL.create(
            "postgresql",
            username=found.db_user or None,
            password=found.db_password or None,
            host=found.db_host,
            port=found.db_port,
            database=found.db_name,
        )
    return URL.create("sqlite", database=found.tracker_db)


def connect(url: URL) -> Engine | None:
    """An engine for the tracker store, or None when a SQLite file does not exist (nothing stored yet)."""
    if url.get_backend_name() == "sqlite":
        if not url.database or not Path(url.database).exists():
            return None
        return sa.create_engine(url)
    kwargs = {}
    schema = settings().postgresql_schema
    if schema and url.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    return sa.create_engine(url, **kwargs)


def _prepare(conn) -> bool:
    """Whether the events table exists; on SQLite, deleted rows are overwritten on disk too."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
    return sa.inspect(conn).has_table("events")


def purge_older_than(engine: Engine, days: float, now: float | None = None) -> Tuple[int, int]:
    """Delete every conversation whose last event is more than `days` days old: (conversations, rows).

    Their topic counts are kept first, anonymous and by week, for the school's insights (bot/insights).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    from bot.insights.store import fold_before_purge, prepare_fold

    now = time.time() if now is None else now
    cutoff = now - days * DAY
    stale = sa.select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id).having(sa.func.max(EVENTS.c.timestamp) < cutoff)
    with engine.begin() as conn:
        if not _prepare(conn):
            return 0, 0
        # No new event is written until this transaction ends, so the conversations counted for the insights are
        # exactly the ones deleted, and a conversation that gets a new message meanwhile is not cut in half.
        prepare_fold(conn, now)
        conversations = conn.execute(sa.select(sa.func.count()).select_from(stale.subquery())).scalar() or 0
        if not conversations:
            return 0, 0
        fold_before_purge(conn, stale.scalar_subquery())  # their anonymous weekly topic counts (bot/insights)
        rows = conn.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(stale.scalar_subquery()))).rowcount
    return int(conversations), int(rows or 0)


def forget_conversation(engine: Engine, sender_id: str) -> int:
    """Delete every stored event of one conversation; the number of rows deleted."""
    with engine.begin() as conn:
        if not _prepare(conn):
            return 0
        result = conn.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id == sender_id))
    return int(result.rowcount or 0)


def forget_conversations(engine: Engine, sender_ids: List[str]) -> Tuple[int, int]:
    """Delete every stored event of these conversations, and any draft message to the DSL (bot/tell_school; a
    message already sent stays for the DSL): (conversations found, rows of events deleted)."""
    found = rows = 0
    for sender_id in dict.fromkeys(sender_ids):
        deleted = forget_conversation(engine, sender_id)
        found += bool(deleted)
        rows += deleted
    from bot.tell_school.store import CHATS

    if sender_ids and sa.inspect(engine).has_table(CHATS.name):
        with engine.begin() as conn:
            _prepare(conn)
            conn.execute(sa.delete(CHATS).where(CHATS.c.sender.in_(sender_ids)))
    return found, rows


def ids_for(phone: str | None = None, telegram: str | None = None, env: Mapping[str, str] | None = None) -> List[str]:
    """The conversation ids a phone number or a Telegram chat id may be stored under (ValueError if unset or bad)."""
    found = settings(env)
    key = found.conversation_id_key
    if not key:
        raise ValueError(f"set {conversation_ids.KEY_SETTING} to the key the channels use")
    earlier = found.twilio_auth_token  # the key before CONVERSATION_ID_KEY
    if phone is not None:
        ids = conversation_ids.phone_ids(key, phone)
        return ids + (conversation_ids.phone_ids(earlier, phone) if earlier else [])
    chat = conversation_ids.chat_id(telegram or "")
    return [conversation_ids.telegram_id(key, chat), f"tg-{chat}"]


def purge_reports(engine: Engine, days: float) -> Tuple[int, int]:
    """Delete messages to the DSL (bot/tell_school) older than `days`, and stale drafts: (messages, drafts)."""
    from bot.tell_school.store import REPORTS, Store

    if not sa.inspect(engine).has_table(REPORTS.name):
        return 0, 0
    return Store(engine).purge(days)


def default_days() -> int:
    """`retention_days` from the school profile."""
    from bot.answers.content_library import school

    return school().retention_days


def main(argv: list | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bot.privacy.retention",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--url", help="SQLAlchemy URL of the tracker store (default: DB_* variables or TRACKER_DB)")
    sub = ap.add_subparsers(dest="command", required=True)
    purge = sub.add_parser("purge", help="delete conversations idle for more than the retention period")
    purge.add_argument("--days", type=float, default=None, help="retention period in days (default: school profile)")
    purge.add_argument("--url", dest="sub_url", help=argparse.SUPPRESS)
    forget = sub.add_parser("forget", help="delete one conversation")
    who = forget.add_mutually_exclusive_group(required=True)
    who.add_argument("sender_id", nargs="?", help="the conversation id")
    who.add_argument("--phone", help="a WhatsApp or SMS number")
    who.add_argument("--telegram", help="a Telegram chat id")
    forget.add_argument("--url", dest="sub_url", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    sender_ids = [args.sender_id] if args.command == "forget" and args.sender_id else []
    if args.command == "forget" and not sender_ids:
        try:
            sender_ids = ids_for(args.phone, args.telegram)
        except ValueError as problem:
            ap.error(str(problem))
    url = database_url(args.sub_url or args.url)
    engine = connect(url)
    where = url.render_as_string(hide_password=True)
    if engine is None:
        print(f"no conversations stored yet ({where} does not exist); nothing deleted")
        return 0
    try:
        if args.command == "purge":
            days = default_days() if args.days is None else args.days
            if days < 0:
                ap.error("--days must not be negative")
            conversations, rows = purge_older_than(engine, days)
            print(f"purged {conversations} conversation(s) idle for more than {days:g} days ({rows} rows deleted)")
            reports, steps = purge_reports(engine, days)
            print(f"purged {reports} message(s) to the DSL older than {days:g} days, and {steps} stale draft(s)")
        else:
            found, rows = forget_conversations(engine, sender_ids)
            print(
                f"forgot {found} conversation(s) ({rows} rows deleted)"
                if rows
                else "no such conversation; nothing deleted"
            )
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
