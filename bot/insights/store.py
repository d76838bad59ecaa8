"""Counting conversations per ISO week, audience, age band and topic family, from the tracker store.

Two sources, added together: the conversations still stored (the `events` table Rasa's SQL tracker store
writes), and `insights_weekly`, a small table of counts kept for conversations that the retention purge has
deleted. `fold_before_purge` adds a purged conversation's counts there in the purge's own transaction, so every
conversation is counted exactly once: while it is stored, or in the table after it is purged.

What is read: for user messages only the sender id, the time and the intent name (never the message, whose
column is not selected); for slot events the `audience` and `age_band` slots. What `insights_weekly` holds:
week, audience, age band, topic and a count. No sender id, no text, no time finer than the week.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any, Dict, Iterable, Optional, Tuple

import pytz
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.answers.audience import AGE_BANDS, AUDIENCES
from bot.insights.topics import Families, families

# A cell: (ISO week "2026-W49", audience or "unknown", pupil age band or "", topic family id).
Cell = Tuple[str, str, str, str]

TIME_ZONE = pytz.timezone("Europe/London")  # a school week runs Monday to Sunday, UK time
UNKNOWN = "unknown"  # the conversation never said who was talking
KEEP_WEEKS = 104  # insights_weekly keeps two years of weeks; older rows go at the next purge
BANDS = tuple(band for band, _, _ in AGE_BANDS)

EVENTS = sa.table(
    "events",
    sa.column("id"),
    sa.column("sender_id"),
    sa.column("type_name"),
    sa.column("timestamp"),
    sa.column("intent_name"),
    sa.column("data"),
)

_metadata = sa.MetaData()
WEEKLY = sa.Table(
    "insights_weekly",
    _metadata,
    sa.Column("week", sa.String(8), primary_key=True),
    sa.Column("audience", sa.String(16), primary_key=True),
    sa.Column("age_band", sa.String(16), primary_key=True),  # "" for everyone but pupils with a known band
    sa.Column("topic", sa.String(64), primary_key=True),
    sa.Column("conversations", sa.Integer, nullable=False),
)


def week_of(timestamp: float) -> str:
    """The ISO week of a Unix time in UK time, as "2026-W49"."""
    year, week, _ = dt.datetime.fromtimestamp(timestamp, TIME_ZONE).isocalendar()
    return f"{year}-W{week:02d}"


def week_start(week: str) -> float:
    """The Unix time of Monday 00:00 (UK time) of an ISO week "2026-W49"."""
    year, number = week.split("-W")
    monday = dt.date.fromisocalendar(int(year), int(number), 1)
    return TIME_ZONE.localize(dt.datetime(monday.year, monday.month, monday.day)).timestamp()


def weeks_ending(now: float, count: int) -> Tuple[str, ...]:
    """The `count` ISO weeks up to and including the week of `now`, oldest first."""
    if count < 1:
        raise ValueError("the number of weeks must be at least 1")
    today = dt.datetime.fromtimestamp(now, TIME_ZONE).date()
    return tuple(week_of_date(today - dt.timedelta(weeks=back)) for back in range(count - 1, -1, -1))


def week_of_date(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def conversation_counts(
    conn: Connection, senders: Any = None, since: Optional[float] = None, topics: Families | None = None
) -> Counter:
    """Distinct conversations per cell, from the stored events (of `senders`, a SELECT of sender ids, if given).

    A conversation counts once a week in a family however many of its messages fall in it, under its audience
    (the last one it gave: a slot set from the page's metadata or from "I'm a parent") and, for a pupil, the last
    age band it gave.
    """
    topics = topics or families()
    sender_filter = [EVENTS.c.sender_id.in_(senders)] if senders is not None else []
    user_rows = sa.select(EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.intent_name).where(
        EVENTS.c.type_name == "user", EVENTS.c.intent_name.in_(list(topics.by_intent)), *sender_filter
    )
    if since is not None:
        user_rows = user_rows.where(EVENTS.c.timestamp >= since)
    asked: Dict[str, set] = {}
    for sender, timestamp, intent in conn.execute(user_rows):
        if timestamp is not None:
            asked.setdefault(sender, set()).add((week_of(timestamp), topics.family_of(intent)))
    if not asked:
        return Counter()
    who = _who(conn, sender_filter)
    counts: Counter = Counter()
    for sender, cells in asked.items():
        audience, band = who.get(sender, (UNKNOWN, ""))
        for week, topic in cells:
            counts[(week, audience, band, topic)] += 1
    return counts


def _who(conn: Connection, sender_filter: list) -> Dict[str, Tuple[str, str]]:
    """Each conversation's audience and, for a pupil, age band: the last value of those slots."""
    slot_rows = (
        sa.select(EVENTS.c.sender_id, EVENTS.c.data)
        .where(
            EVENTS.c.type_name == "slot",
            sa.or_(EVENTS.c.data.like('%"audience"%'), EVENTS.c.data.like('%"age_band"%')),
            *sender_filter,
        )
        .order_by(EVENTS.c.id)
    )
    audience: Dict[str, str] = {}
    band: Dict[str, str] = {}
    for sender, data in conn.execute(slot_rows):
        try:
            slot = json.loads(data)
        except (TypeError, ValueError):
            continue
        name, value = slot.get("name"), slot.get("value")
        if name == "audience" and value in AUDIENCES:
            audience[sender] = value
        elif name == "age_band" and value in BANDS:
            band[sender] = value
    return {sender: (kind, band.get(sender, "") if kind == "pupil" else "") for sender, kind in audience.items()}


def folded_counts(conn: Connection, weeks: Iterable[str]) -> Counter:
    """The counts kept for purged conversations, for the given weeks."""
    weeks = list(weeks)
    if not sa.inspect(conn).has_table(WEEKLY.name):
        return Counter()
    rows = sa.select(WEEKLY.c.week, WEEKLY.c.audience, WEEKLY.c.age_band, WEEKLY.c.topic, WEEKLY.c.conversations)
    return Counter({tuple(row[:4]): row[4] for row in conn.execute(rows.where(WEEKLY.c.week.in_(weeks)))})


def weekly_counts(engine: Engine | None, weeks: Tuple[str, ...]) -> Counter:
    """Every conversation of the given weeks, stored or purged, per cell. No database yet: no counts."""
    if engine is None:
        return Counter()
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")  # one snapshot for both reads
    with engine.connect() as conn, conn.begin():
        if not sa.inspect(conn).has_table("events"):
            live: Counter = Counter()
        else:
            live = conversation_counts(conn, since=week_start(weeks[0]))
        total = folded_counts(conn, weeks)
    for cell, n in live.items():
        if cell[0] in weeks:
            total[cell] += n
    return total


def prepare_fold(conn: Connection, now: float) -> None:
    """The first step of a purge's transaction: make the table, drop weeks older than KEEP_WEEKS, and hold off
    new events until the purge commits, so the conversations counted are exactly the ones deleted.

    On SQLite this first write takes the database's write lock; on PostgreSQL the events table is locked
    against writes (reads go on), and a turn's insert waits for the commit.
    """
    WEEKLY.create(conn, checkfirst=True)
    oldest = weeks_ending(now, KEEP_WEEKS)[0]
    conn.execute(sa.delete(WEEKLY).where(WEEKLY.c.week < oldest))
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")


def fold_before_purge(conn: Connection, senders: Any) -> int:
    """Add the counts of the conversations about to be deleted (`senders`, a SELECT of sender ids) to
    insights_weekly; the number of cells changed. Call `prepare_fold` first, in the same transaction.
    """
    counts = conversation_counts(conn, senders)
    for (week, audience, band, topic), n in counts.items():
        key = (
            (WEEKLY.c.week == week)
            & (WEEKLY.c.audience == audience)
            & (WEEKLY.c.age_band == band)
            & (WEEKLY.c.topic == topic)
        )
        updated = conn.execute(sa.update(WEEKLY).where(key).values(conversations=WEEKLY.c.conversations + n))
        if not updated.rowcount:
            conn.execute(
                sa.insert(WEEKLY).values(week=week, audience=audience, age_band=band, topic=topic, conversations=n)
            )
    return len(counts)
