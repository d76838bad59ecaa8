"""Anonymous topic insights for the school's DSL and RSHE lead: what people ask about, week by week.

    python -m bot.insights --format csv|md|html [--weeks N] [--age-bands] [--out FILE] [--url URL]

Counts conversations per ISO week x audience x topic family (families.yml), from the tracker store (SQLite or
PostgreSQL) and from the counts kept for conversations the retention purge has deleted. Counts under 5 are
shown as "<5"; no sender id, message or time finer than a week is ever read out. See PRIVACY.md.

  topics.py  the families file          store.py   counting, and keeping counts before a purge
  report.py  cells, suppression, CSV and Markdown      page.py   the HTML page with its chart
"""

from __future__ import annotations

import time
from typing import Optional

from bot.insights.report import Report, build
from bot.insights.store import weekly_counts, weeks_ending

__all__ = ["insights", "Report"]

DEFAULT_WEEKS = 12


def insights(engine, weeks: int = DEFAULT_WEEKS, age_bands: bool = False, now: Optional[float] = None) -> Report:
    """The report for the `weeks` weeks up to now, from a tracker store's engine (None: nothing stored yet)."""
    window = weeks_ending(time.time() if now is None else now, weeks)
    return build(weekly_counts(engine, window), window, age_bands=age_bands)


def render(report: Report, fmt: str, school_name: str, made_on: str) -> str:
    """The report as "csv", "md" or "html"."""
    from bot.insights.page import to_html
    from bot.insights.report import to_csv, to_markdown

    if fmt == "csv":
        return to_csv(report)
    if fmt == "md":
        return to_markdown(report, school_name, made_on)
    if fmt == "html":
        return to_html(report, school_name, made_on)
    raise ValueError(f"unknown format {fmt!r}: use csv, md or html")
