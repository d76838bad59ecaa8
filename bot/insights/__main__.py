"""python -m bot.insights: print or write the insights (see bot/insights/__init__.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from bot.insights import DEFAULT_WEEKS, insights, render
from bot.insights.report import AGE_BAND_NOTES


def school_name() -> str:
    from bot.answers.content_library import school

    return school().name


def main(argv: list | None = None) -> int:
    from bot.privacy.retention import connect, database_url

    ap = argparse.ArgumentParser(
        prog="python -m bot.insights",
        description="Anonymous topic insights: conversations per week, audience and topic; under 5 shown as <5.",
    )
    ap.add_argument("--format", choices=("csv", "md", "html"), default="csv")
    ap.add_argument("--weeks", type=int, default=DEFAULT_WEEKS, help=f"weeks up to this one (default {DEFAULT_WEEKS})")
    ap.add_argument("--age-bands", action="store_true", help="split pupils by age band, if every cell is 5 or more")
    ap.add_argument("--out", help="write to this file instead of printing")
    ap.add_argument("--url", help="SQLAlchemy URL of the tracker store (default: DB_* variables or TRACKER_DB)")
    args = ap.parse_args(argv)
    if args.weeks < 1:
        ap.error("--weeks must be at least 1")

    engine = connect(database_url(args.url))
    if engine is None:
        print("no conversations stored yet: every count is 0, shown as <5", file=sys.stderr)
    try:
        report = insights(engine, weeks=args.weeks, age_bands=args.age_bands)
    finally:
        if engine is not None:
            engine.dispose()
    if args.age_bands and report.age_bands == "withheld":
        print(AGE_BAND_NOTES["withheld"], file=sys.stderr)
    text = render(report, args.format, school_name(), dt.date.today().isoformat())
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"insights for {report.weeks[0]} to {report.weeks[-1]} written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
