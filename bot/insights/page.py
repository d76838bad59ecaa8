"""The insights as one self-contained HTML page: a chart of topics by week per audience, and its table.

No script, no external file, nothing fetched: the chart is inline SVG and the styles are one <style> element,
whose hash `content_security_policy()` allows, so the demo web server can serve the page under a strict CSP.
Print CSS lays it out on A4 landscape: how to read it on the first page, then each audience's chart and table
on a page of its own.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import List

from bot.insights.report import AGE_BAND_NOTES, MIN_COUNT, READING_NOTES, Report, audience_title, shown

STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; color: #1b1b1b; background: #fff;
  margin: 2rem auto; max-width: 1040px; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 2px solid #1d4e89; padding-bottom: .2rem; }
.meta { color: #3b3b3b; margin: 0 0 1rem; }
.notes { background: #f3f6fa; border-left: 4px solid #1d4e89; padding: .6rem 1rem .6rem 2rem; }
figure { margin: .5rem 0 1rem; }
figcaption { font-size: .9rem; color: #3b3b3b; }
svg { width: 100%; height: auto; display: block; }
svg text { font-family: inherit; fill: #1b1b1b; }
svg .topic { font-size: 12px; }
svg .week { font-size: 10px; fill: #3b3b3b; }
svg .value { font-size: 10px; font-weight: 600; }
svg .few { font-size: 10px; fill: #5a5a5a; }
svg .bar { fill: #1d4e89; }
svg .axis { stroke: #9a9a9a; stroke-width: 1; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { border: 1px solid #c8c8c8; padding: .2rem .35rem; text-align: right; }
th:first-child, td:first-child { text-align: left; white-space: nowrap; }
thead th { background: #eef1f5; vertical-align: bottom; }
td.few { color: #5a5a5a; }
.print-note { font-size: .85rem; color: #3b3b3b; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 9pt; }
  .screen-only { display: none; }
  header { break-after: page; page-break-after: always; }
  section.audience { break-inside: avoid; page-break-inside: avoid; }
  section.audience + section.audience { break-before: page; page-break-before: always; }
  h2 { border-bottom-color: #000; margin: 0 0 2mm; font-size: 13pt; }
  figure { margin: 0 0 2mm; }
  figcaption { font-size: 8pt; }
  svg { height: 84mm; width: 100%; }
  svg .bar { fill: #000; }
  table { font-size: 8pt; }
  th, td { padding: .4mm 1.2mm; }
  .notes { background: none; border-left: 2px solid #000; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

ROW_HEIGHT = 48
LABEL_WIDTH = 200
CHART_WIDTH = 1000
BAR_SPACE = 28  # the tallest bar, in pixels


def style_hash() -> str:
    """The CSP source for the page's one <style> element."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy() -> str:
    """Nothing but the page itself: its own inline styles and SVG, no script, no request."""
    return (
        f"default-src 'none'; style-src {style_hash()}; img-src data:; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


def chart(report: Report, audience: str) -> str:
    """Small multiples: one row a topic, one column a week; a bar and its number, or "<5" and no bar."""
    weeks, ids = report.weeks, report.topics.ids
    column = (CHART_WIDTH - LABEL_WIDTH) / len(weeks)
    height = ROW_HEIGHT * len(ids) + 22
    biggest = max([report.count(w, audience, t) for w in weeks for t in ids] + [MIN_COUNT])
    title = f"{audience_title(audience)}: conversations per topic and week"
    parts = [
        f'<svg viewBox="0 0 {CHART_WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for row, topic in enumerate(ids):
        base = ROW_HEIGHT * (row + 1)
        parts.append(f'<text class="topic" x="0" y="{base - 4}">{escape(report.topics.label(topic))}</text>')
        parts.append(f'<line class="axis" x1="{LABEL_WIDTH}" y1="{base}" x2="{CHART_WIDTH}" y2="{base}"/>')
        for col, week in enumerate(weeks):
            n = report.count(week, audience, topic)
            middle = LABEL_WIDTH + column * (col + 0.5)
            if n < MIN_COUNT:
                parts.append(f'<text class="few" x="{middle:.1f}" y="{base - 3}" text-anchor="middle">&lt;5</text>')
                continue
            tall = max(2.0, BAR_SPACE * n / biggest)
            width = min(28.0, column * 0.6)
            parts.append(
                f'<rect class="bar" x="{middle - width / 2:.1f}" y="{base - tall:.1f}" width="{width:.1f}" '
                f'height="{tall:.1f}"><title>{escape(week)}, {escape(report.topics.label(topic))}: {n}</title></rect>'
            )
            parts.append(
                f'<text class="value" x="{middle:.1f}" y="{base - tall - 2:.1f}" text-anchor="middle">{n}</text>'
            )
    for col, week in enumerate(weeks):
        middle = LABEL_WIDTH + column * (col + 0.5)
        parts.append(f'<text class="week" x="{middle:.1f}" y="{height - 6}" text-anchor="middle">{escape(week)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def table(report: Report, audience: str) -> str:
    ids = report.topics.ids
    head = "".join(f'<th scope="col">{escape(report.topics.label(t))}</th>' for t in ids)
    rows: List[str] = []
    for week in report.weeks:
        cells = []
        for topic in ids:
            n = report.count(week, audience, topic)
            cells.append('<td class="few">&lt;5</td>' if n < MIN_COUNT else f"<td>{escape(shown(n))}</td>")
        rows.append(f'<tr><th scope="row">{escape(week)}</th>{"".join(cells)}</tr>')
    return (
        f'<table><caption class="screen-only">{escape(audience_title(audience))}: the numbers</caption>'
        f'<thead><tr><th scope="col">Week</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def to_html(report: Report, school: str, made_on: str) -> str:
    """The whole page."""
    notes = [*READING_NOTES]
    if AGE_BAND_NOTES[report.age_bands]:
        notes.append(AGE_BAND_NOTES[report.age_bands])
    sections = []
    for audience in report.audiences:
        title = escape(audience_title(audience))
        sections.append(
            f'<section class="audience" aria-labelledby="h-{audience}"><h2 id="h-{audience}">{title}</h2>'
            f"<figure>{chart(report, audience)}<figcaption>{title}: conversations per topic, week by week. "
            f"A bar shows 5 or more; &lt;5 is 0 to 4.</figcaption></figure>{table(report, audience)}</section>"
        )
    return (
        '<!doctype html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>What people asked about: {escape(school)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>What people asked about</h1>"
        f'<p class="meta">{escape(school)}: conversations with the assistant per topic, '
        f"weeks {escape(report.weeks[0])} to {escape(report.weeks[-1])} (the last week may not be over). "
        f"Made on {escape(made_on)}.</p>"
        f'<ul class="notes">{"".join(f"<li>{escape(n)}</li>" for n in notes)}</ul>'
        '<p class="print-note screen-only">To keep a copy, print this page or save it as PDF: each audience '
        "gets a page of its own.</p></header>"
        f"<main>{''.join(sections)}</main></body></html>\n"
    )
