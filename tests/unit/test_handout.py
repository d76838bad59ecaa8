"""Printable handouts: every area and key stage in Markdown and HTML, escaping, the command line."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.answers import content_library as content
from bot.lessons import handout
from bot.lessons import library as lessons

ROOT = Path(__file__).resolve().parents[2]
CASES = [(a, ks) for a in lessons.AREAS for ks in lessons.KEY_STAGES]
PLACEHOLDER = re.compile(r"\{[a-z_]+(?:\.[a-z_]+)?\}")


@pytest.mark.parametrize("area, ks", CASES)
def test_markdown_handout(area, ks):
    data = handout.lesson(area, ks)
    md = handout.to_markdown(data)
    assert md.startswith("# ")
    for starter in data["starters"]:
        assert starter["text"] in md
        assert all(q in md for q in starter["questions"])
    assert data["scenarios"] and all(s["story"] in md and s["good_response"] in md for s in data["scenarios"])
    assert len(data["quiz"]) >= 3
    for q in data["quiz"]:
        word = lessons.phrase(q["answer"])
        assert q["statement"] in md and f"**{word}.** {q['explanation']}" in md
    assert all(t["topic"] in md for t in data["rshe"]) and data["rshe"]
    assert data["sources"] and all(src in md for src in data["sources"])
    assert data["reminder"] in md
    assert not PLACEHOLDER.search(md)


@pytest.mark.parametrize("area, ks", CASES)
def test_html_handout(area, ks):
    data = handout.lesson(area, ks)
    page = handout.to_html(data)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert html.escape(data["starters"][0]["text"]) in page
    for q in data["quiz"]:
        assert html.escape(q["statement"]) in page and html.escape(q["explanation"]) in page
    assert all(html.escape(src) in page for src in data["sources"])
    assert not PLACEHOLDER.search(page)
    assert handout.build(area, ks, "html") == page


def test_services_are_rendered_from_the_registry():
    md = handout.build("help", "ks2")
    assert content.services()["childline"].phone in md
    assert "{childline}" not in md


def test_html_escapes_planted_markup():
    data = handout.lesson("consent", "ks3")
    data["title"] = "Consent & <b>respect</b>"
    data["starters"][0]["text"] = '<script>alert("x")</script>'
    data["starters"][0]["questions"] = ["<img src=x onerror=alert(1)>"]
    data["quiz"][0]["explanation"] = "<script>steal()</script>"
    data["sources"] = ["<a href='javascript:alert(1)'>source</a>"]
    page = handout.to_html(data)
    assert "<script" not in page and "<img" not in page and "<a href" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "Consent &amp; &lt;b&gt;respect&lt;/b&gt;" in page


def test_nation_notes_follow_the_school_profile():
    scotland = replace(content.school(), nation="scotland")
    md = handout.build("law", "ks4", "md", scotland)
    assert "**Note for Scotland**" in md and "is a crime when the person means to" in md
    england = handout.build("law", "ks4", "md")
    assert "Note for" not in england and "is a crime when the person means to" not in england


def test_school_name_and_dsl_are_used():
    school = replace(content.school(), name="Hilltop Academy", dsl_name="Ms Patel")
    md = handout.build("help", "ks3", "md", school)
    assert "Hilltop Academy" in md and "Ms Patel" in md


def test_build_rejects_unknown_inputs():
    with pytest.raises(ValueError):
        handout.build("consent", "ks3", "pdf")
    with pytest.raises(ValueError):
        handout.build("maths", "ks3")


def test_main_writes_a_file(tmp_path, capsys):
    out = tmp_path / "law.html"
    assert handout.main(["--area", "law", "--key-stage", "year 10", "--format", "html", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "<h1>" in text and "Key stage 4" in text
    assert handout.main(["--area", "consent", "--key-stage", "ks2"]) == 0
    assert capsys.readouterr().out.startswith("# Consent")
    with pytest.raises(SystemExit):
        handout.main(["--area", "consent", "--key-stage", "nursery"])
    with pytest.raises(SystemExit):
        handout.main(["--area", "consent", "--key-stage", "ks3", "--nation", "france"])


def test_module_runs_from_the_command_line(tmp_path):
    out = tmp_path / "consent.md"
    done = subprocess.run(
        [sys.executable, "-m", "bot.lessons.handout", "--area", "consent", "--key-stage", "ks3", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert "body language" in text and "## Myth or fact?" in text
