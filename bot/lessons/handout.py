"""A printable lesson handout (Markdown or HTML) for one area and key stage.

    python -m bot.lessons.handout --area consent --key-stage ks3 [--format md|html] [--out FILE] [--nation wales]

Starter, discussion questions, scenario, myth-or-fact quiz with answers and explanations, RSHE outcomes,
the disclosure reminder and sources. Service placeholders are filled by bot.answers.content_library.render_text, so
numbers come from services.yml; all HTML text is escaped.
"""

from __future__ import annotations

import argparse
import html
import sys
from dataclasses import replace
from pathlib import Path

from bot.answers import content_library as content
from bot.lessons import library as lessons

FORMATS = ("md", "html")
MIN_QUIZ = 3  # an area with fewer quiz statements is topped up from the rest of the key stage


def _labels() -> dict:
    return lessons.library()["handout"]


def _label(name: str, **values) -> str:
    return _labels()["labels"][name].format(**values)


def lesson(area: str, key_stage: str, school=None) -> dict:
    """Everything one handout shows, with placeholders rendered for the school profile.

    `school` is a bot.answers.content_library.School (default: the configured profile). Returns
    {"area", "key_stage", "nation", "title", "subtitle", "starters", "scenarios", "quiz", "rshe",
    "reminder", "sources"}; the items are the library entries with their texts rendered.
    """
    profile = school or content.school()
    nation = lessons.nation_key(profile.nation)
    ks = lessons._check_key_stage(key_stage)
    area = lessons._check_area(area)

    def render(text):
        return content.render_text(str(text), profile) if text else text

    def rendered(entry: dict) -> dict:
        out = dict(entry)
        for field in (
            "title",
            "text",
            "story",
            "activity",
            "teacher_notes",
            "good_response",
            "statement",
            "explanation",
        ):
            if out.get(field):
                out[field] = render(out[field])
        out["questions"] = [render(q) for q in out.get("questions") or []]
        note = (entry.get("nation_notes") or {}).get(nation)
        out["nation_note"] = render(note) if note else ""
        return out

    starters = [rendered(s) for s in lessons.starters(area, ks)]
    scenarios = [rendered(s) for s in (lessons.scenarios(ks, area) or lessons.scenarios(ks)[:1])]
    quiz = lessons.quiz_statements(ks, area)
    quiz += [q for q in lessons.quiz_statements(ks) if q["area"] != area][: max(0, MIN_QUIZ - len(quiz))]
    quiz = [rendered(q) for q in quiz]
    items = starters + scenarios + quiz
    sources: list[str] = []
    for entry in items:
        for src in entry.get("sources") or []:
            if src not in sources:
                sources.append(src)
    reviewed = max(str(entry.get("last_reviewed", "")) for entry in items)
    names = _labels()
    return {
        "area": area,
        "key_stage": ks,
        "nation": nation,
        "title": _label("title", area=names["areas"][area], key_stage=names["key_stages"][ks]),
        "subtitle": _label("subtitle", school=profile.name, reviewed=reviewed),
        "starters": starters,
        "scenarios": scenarios,
        "quiz": quiz,
        "rshe": lessons.rshe_outcomes([e["id"] for e in items]),
        "reminder": render(lessons.incident_guidance(nation)["handout_reminder"]),
        "sources": sources,
    }


def to_markdown(data: dict) -> str:
    """The handout as Markdown."""
    nation_name = _labels()["nations"][data["nation"]]
    out = [f"# {data['title']}", "", f"_{data['subtitle']}_", ""]
    for s in data["starters"]:
        out += [f"## {_label('starter', title=s['title'])}", "", s["text"], ""]
        out += [f"**{_label('questions')}**", ""] + [f"{i}. {q}" for i, q in enumerate(s["questions"], 1)] + [""]
        if s.get("activity"):
            out += [f"**{_label('activity')}**", "", s["activity"], ""]
        if s.get("teacher_notes"):
            out += [f"**{_label('teacher_notes')}**", "", s["teacher_notes"], ""]
        if s.get("nation_note"):
            out += [f"**{_label('nation_note', nation=nation_name)}**", "", s["nation_note"], ""]
    for s in data["scenarios"]:
        out += [f"## {_label('scenario', title=s['title'])}", "", s["story"], ""]
        out += [f"**{_label('scenario_questions')}**", ""]
        out += [f"{i}. {q}" for i, q in enumerate(s["questions"], 1)] + [""]
        out += [f"**{_label('good_response')}**", "", s["good_response"], ""]
        if s.get("nation_note"):
            out += [f"**{_label('nation_note', nation=nation_name)}**", "", s["nation_note"], ""]
    out += [f"## {_label('quiz')}", "", _label("quiz_intro"), ""]
    out += [f"{i}. {q['statement']}" for i, q in enumerate(data["quiz"], 1)] + [""]
    out += [f"### {_label('quiz_answers')}", ""]
    out += [
        f"{i}. **{_label('answer', answer=lessons.phrase(q['answer']))}** {q['explanation']}"
        for i, q in enumerate(data["quiz"], 1)
    ] + [""]
    out += [f"## {_label('rshe')}", ""]
    out += [f"- **{t['topic']}** ({_label('phase_' + t['phase'])}): {t['summary']}" for t in data["rshe"]] + [""]
    out += [f"## {_label('safeguarding')}", "", data["reminder"], ""]
    out += [f"## {_label('sources')}", "", _label("sources_note"), ""]
    out += [f"- {src}" for src in data["sources"]]
    return "\n".join(out) + "\n"


_CSS = (
    "body{font-family:Arial,Helvetica,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#111}h1{font-size:1.8rem}h2{font-size:1.35rem;margin-top:2rem;"
    "border-bottom:1px solid #999}.note{background:#f3f3f3;padding:.5rem 1rem}"
    ".sources{font-size:.9rem}@media print{body{margin:0}h2{break-after:avoid}}"
)


def to_html(data: dict) -> str:
    """The handout as a standalone, printable HTML page; every text is escaped."""
    e = html.escape
    nation_name = _labels()["nations"][data["nation"]]

    def para(text: str, cls: str = "") -> str:
        attr = f' class="{cls}"' if cls else ""
        return f"<p{attr}>{e(text)}</p>"

    def olist(items) -> str:
        return "<ol>" + "".join(f"<li>{e(q)}</li>" for q in items) + "</ol>"

    def note(label: str, text: str) -> str:
        return f'<div class="note"><h3>{e(label)}</h3>{para(text)}</div>'

    body = [f"<h1>{e(data['title'])}</h1>", f"<p><em>{e(data['subtitle'])}</em></p>"]
    for s in data["starters"]:
        body += [f"<h2>{e(_label('starter', title=s['title']))}</h2>", para(s["text"])]
        body += [f"<h3>{e(_label('questions'))}</h3>", olist(s["questions"])]
        if s.get("activity"):
            body.append(note(_label("activity"), s["activity"]))
        if s.get("teacher_notes"):
            body.append(note(_label("teacher_notes"), s["teacher_notes"]))
        if s.get("nation_note"):
            body.append(note(_label("nation_note", nation=nation_name), s["nation_note"]))
    for s in data["scenarios"]:
        body += [f"<h2>{e(_label('scenario', title=s['title']))}</h2>", para(s["story"])]
        body += [f"<h3>{e(_label('scenario_questions'))}</h3>", olist(s["questions"])]
        body.append(note(_label("good_response"), s["good_response"]))
        if s.get("nation_note"):
            body.append(note(_label("nation_note", nation=nation_name), s["nation_note"]))
    body += [f"<h2>{e(_label('quiz'))}</h2>", para(_label("quiz_intro")), olist(q["statement"] for q in data["quiz"])]
    body.append(f"<h3>{e(_label('quiz_answers'))}</h3><ol>")
    body += [
        f"<li><strong>{e(_label('answer', answer=lessons.phrase(q['answer'])))}</strong> {e(q['explanation'])}</li>"
        for q in data["quiz"]
    ]
    body.append("</ol>")
    body += [f"<h2>{e(_label('rshe'))}</h2>", "<ul>"]
    body += [
        f"<li><strong>{e(t['topic'])}</strong> ({e(_label('phase_' + t['phase']))}): {e(t['summary'])}</li>"
        for t in data["rshe"]
    ]
    body.append("</ul>")
    body += [f"<h2>{e(_label('safeguarding'))}</h2>", para(data["reminder"], "note")]
    body += [f"<h2>{e(_label('sources'))}</h2>", para(_label("sources_note"), "sources"), '<ul class="sources">']
    body += [f"<li>{e(src)}</li>" for src in data["sources"]]
    body.append("</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(data['title'])}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def build(area: str, key_stage: str, fmt: str = "md", school=None) -> str:
    """The handout text for an area and key stage, as "md" or "html"."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    data = lesson(area, key_stage, school)
    return to_html(data) if fmt == "html" else to_markdown(data)


def main(argv=None) -> int:
    """Command line: write a handout to a file or to standard output."""
    parser = argparse.ArgumentParser(prog="python -m bot.lessons.handout", description=__doc__.splitlines()[0])
    parser.add_argument("--area", required=True, choices=lessons.AREAS)
    parser.add_argument("--key-stage", required=True, help="ks2, ks3, ks4, ks5, or e.g. 'year 9'")
    parser.add_argument("--format", default="md", choices=FORMATS)
    parser.add_argument("--out", help="file to write (default: standard output)")
    parser.add_argument("--nation", help="england, wales, scotland or northern_ireland (default: the school profile)")
    args = parser.parse_args(argv)
    key_stage = args.key_stage if args.key_stage in lessons.KEY_STAGES else lessons.key_stage_for(args.key_stage)
    if key_stage is None:
        parser.error(f"unknown key stage: {args.key_stage!r}")
    profile = content.school()
    if args.nation:
        try:
            profile = replace(profile, nation=lessons.nation_key(args.nation))
        except ValueError as err:
            parser.error(str(err))
    text = build(args.area, key_stage, args.format, profile)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
