"""The insights table: every week x audience x topic cell, with small numbers suppressed.

Counts under MIN_COUNT are shown as "<5" (zero included), as public statistics do, so that no cell points at a
few people. Pupils are split by age band only when asked and only when every cell of that split is at least
MIN_COUNT; otherwise the report says the split was withheld and shows pupils together. No total is shown
beside the cells, so a suppressed cell cannot be worked out by subtraction.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Tuple

from bot.insights.store import BANDS, UNKNOWN
from bot.insights.topics import Families, families

MIN_COUNT = 5
SUPPRESSED = "<5"
AUDIENCES = ("pupil", "parent", "teacher", UNKNOWN)
NO_BAND = "age_not_given"
CSV_COLUMNS = ("week", "audience", "topic", "conversations")

AUDIENCE_TITLES = {"pupil": "Pupils", "parent": "Parents and carers", "teacher": "Staff", UNKNOWN: "Not said"}
BAND_TITLES = {
    "u10": "up to 10",
    "11_13": "11 to 13",
    "14_15": "14 to 15",
    "16_17": "16 to 17",
    "18plus": "18 and over",
    NO_BAND: "age not given",
}


def shown(count: int) -> str:
    """What a reader sees for a count: the number, or "<5" under MIN_COUNT."""
    return SUPPRESSED if count < MIN_COUNT else str(count)


@dataclass(frozen=True)
class Report:
    """The cells to show, in order, with exact counts kept only until they are rendered through `shown`."""

    weeks: Tuple[str, ...]
    audiences: Tuple[str, ...]  # "pupil", ... or, with the age split, "pupil_11_13", ..., "pupil_age_not_given"
    topics: Families
    counts: Dict[Tuple[str, str, str], int]  # (week, audience, topic) -> conversations
    age_bands: str  # "not asked", "shown" or "withheld"

    def count(self, week: str, audience: str, topic: str) -> int:
        return self.counts.get((week, audience, topic), 0)

    def rows(self) -> List[Tuple[str, str, str, str]]:
        """(week, audience, topic, shown count) for every cell, zeros included."""
        return [
            (week, audience, topic, shown(self.count(week, audience, topic)))
            for week in self.weeks
            for audience in self.audiences
            for topic in self.topics.ids
        ]


def audience_title(audience: str) -> str:
    if audience.startswith("pupil_"):
        return f"Pupils, {BAND_TITLES[audience[len('pupil_') :]]}"
    return AUDIENCE_TITLES[audience]


def build(counts: Counter, weeks: Tuple[str, ...], age_bands: bool = False, topics: Families | None = None) -> Report:
    """The report for `weeks` from exact counts per (week, audience, age band, topic)."""
    topics = topics or families()
    together: Counter = Counter()
    by_band: Counter = Counter()
    for (week, audience, band, topic), n in counts.items():
        if week not in weeks or topic not in topics.ids:
            continue
        together[(week, audience, topic)] += n
        if audience == "pupil":
            by_band[(week, f"pupil_{band or NO_BAND}", topic)] += n
    if not age_bands:
        return Report(weeks, AUDIENCES, topics, dict(together), "not asked")
    bands = [f"pupil_{b}" for b in (*BANDS, NO_BAND) if any(key[1] == f"pupil_{b}" for key in by_band)]
    every_cell = [by_band[(w, b, t)] for w in weeks for b in bands for t in topics.ids]
    if not bands or min(every_cell) < MIN_COUNT:
        return Report(weeks, AUDIENCES, topics, dict(together), "withheld")
    split = {key: n for key, n in together.items() if key[1] != "pupil"}
    split.update(by_band)
    return Report(weeks, (*bands, *AUDIENCES[1:]), topics, split, "shown")


AGE_BAND_NOTES = {
    "not asked": "",
    "shown": "Pupils are shown by age band: every cell of that split is at least 5.",
    "withheld": "Pupils are not shown by age band: some cells of that split would be under 5.",
}


def to_csv(report: Report) -> str:
    """Exactly the columns week,audience,topic,conversations; one row a cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(report.rows())
    return out.getvalue()


def to_markdown(report: Report, school: str, made_on: str) -> str:
    """One table per audience: a row a week, a column a topic."""
    ids = report.topics.ids
    lines = [
        f"# What people asked about: {school}",
        "",
        f"_Conversations per week and topic, {report.weeks[0]} to {report.weeks[-1]}. Made on {made_on}._",
        "",
        *[f"- {line}" for line in READING_NOTES],
    ]
    if AGE_BAND_NOTES[report.age_bands]:
        lines.append(f"- {AGE_BAND_NOTES[report.age_bands]}")
    for audience in report.audiences:
        lines += ["", f"## {audience_title(audience)}", ""]
        lines.append("| week | " + " | ".join(report.topics.label(t) for t in ids) + " |")
        lines.append("| --- |" + " ---: |" * len(ids))
        for week in report.weeks:
            cells = " | ".join(shown(report.count(week, audience, t)) for t in ids)
            lines.append(f"| {week} | {cells} |")
    return "\n".join(lines) + "\n"


# What every format says about itself (PRIVACY.md says the same at more length).
READING_NOTES = (
    "Each number counts conversations, not people or messages. A conversation counts once a week in a topic, "
    "however many questions it asked about it.",
    "<5 means fewer than 5 (0 to 4): small numbers are never shown.",
    "Never shown: names, conversation ids, messages, times finer than a week, ages finer than a band.",
    "Topics come from what the assistant understood, which is sometimes wrong.",
)
