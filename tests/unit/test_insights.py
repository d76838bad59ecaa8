"""Anonymous topic insights (bot/insights): grouping, suppression, the age-band rule, the formats, keeping counts
through a purge, and the page behind the token. Conversations are written by the project's own tracker store
into a real SQLite file, as the server writes them.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import re
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from bot.insights import insights, render
from bot.insights.page import content_security_policy
from bot.insights.report import CSV_COLUMNS, build, shown, to_csv
from bot.insights.store import TIME_ZONE, week_of, week_start, weeks_ending
from bot.insights.topics import families, parse
from bot.privacy.retention import forget_conversation, purge_older_than
from bot.privacy.tracker_store import RedactingTrackerStore
from tests.unit.test_privacy import make_tracker, save

ROOT = Path(__file__).resolve().parents[2]
DAY = 24 * 60 * 60
# Wednesday 9 December 2026, noon in London: weeks 2026-W39 to 2026-W50 make the default twelve.
NOW = TIME_ZONE.localize(dt.datetime(2026, 12, 9, 12, 0)).timestamp()
FAMILY_IDS = (
    "consent",
    "relationships",
    "law_on_images",
    "sextortion",
    "abuse_and_disclosures",
    "self_harm",
    "help_routes",
    "lessons",
)
SECRET_TEXT = "zebracakes-message-text"


def conversation(sender: str, turns, audience: str | None = None, band: str | None = None):
    """A stored-shaped conversation: each turn (intent, time) is a user message, its slots and a reply."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

    first = turns[0][1]
    metadata = {k: v for k, v in (("audience", audience), ("age_band", band)) if v}
    events = [
        ActionExecuted("action_session_start", timestamp=first),
        SessionStarted(timestamp=first),
        SlotSet("session_started_metadata", metadata, timestamp=first),
        ActionExecuted("action_listen", timestamp=first),
    ]
    for i, (intent, at) in enumerate(turns):
        text = f"{SECRET_TEXT} {intent}"
        events.append(
            UserUttered(
                text,
                intent={"name": intent, "confidence": 0.9},
                parse_data={"text": text, "intent": {"name": intent, "confidence": 0.9}, "metadata": metadata},
                metadata=metadata,
                timestamp=at,
                input_channel="rest",
            )
        )
        if i == 0 and audience:
            events.append(SlotSet("audience", audience, timestamp=at))
        if i == 0 and band:
            events.append(SlotSet("age_band", band, timestamp=at))
        events += [
            ActionExecuted("action_answer", timestamp=at + 1),
            BotUttered("an answer", timestamp=at + 1),
            ActionExecuted("action_listen", timestamp=at + 2),
        ]
    return events


@pytest.fixture
def store(tmp_path):
    from rasa.shared.core.domain import Domain

    s = RedactingTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "conversations.db"))
    yield s
    s.engine.dispose()


def add(store, turns, audience=None, band=None, sender=None) -> str:
    sender = sender or "sender-" + uuid.uuid4().hex
    save(store, make_tracker(sender, conversation(sender, turns, audience, band)))
    return sender


def cells(report) -> dict:
    """(week, audience, topic) -> shown count, from the CSV the command prints."""
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert tuple(rows[0]) == CSV_COLUMNS
    return {(w, a, t): c for w, a, t, c in rows[1:]}


# ------------------------------------------------------------------ the families file


def test_every_intent_of_the_domain_is_placed_exactly_once():
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    topics = families()
    counted, not_counted = set(topics.by_intent), set(topics.not_counted)
    assert not counted & not_counted
    assert counted | not_counted == intents | {"nlu_fallback"}, "place new intents in bot/insights/families.yml"


def test_the_families_are_the_eight_of_the_issue_in_order():
    assert families().ids == FAMILY_IDS


def test_every_disclosure_the_detector_knows_counts_as_a_disclosure_family():
    patterns = yaml.safe_load((ROOT / "bot" / "nlu" / "safeguarding_patterns.yml").read_text(encoding="utf-8"))
    situations = set(patterns["priority"])
    assert situations
    for situation in situations:
        assert families().family_of(situation) in ("sextortion", "abuse_and_disclosures", "self_harm"), situation


def test_an_intent_in_two_families_is_refused():
    with pytest.raises(ValueError, match="both"):
        parse({"families": [{"id": "a", "label": "A", "intents": ["x"]}, {"id": "b", "label": "B", "intents": ["x"]}]})


# ------------------------------------------------------------------ weeks


def test_weeks_are_iso_weeks_in_uk_time():
    assert week_of(NOW) == "2026-W50"
    sunday_late = TIME_ZONE.localize(dt.datetime(2026, 12, 13, 23, 30)).timestamp()  # 23:30 UTC too, in winter
    assert week_of(sunday_late) == "2026-W50"
    assert week_of(sunday_late + 3600) == "2026-W51"
    summer_midnight = TIME_ZONE.localize(dt.datetime(2026, 6, 8, 0, 30)).timestamp()  # Sunday 23:30 UTC
    assert week_of(summer_midnight) == "2026-W24"
    assert week_start("2026-W50") == TIME_ZONE.localize(dt.datetime(2026, 12, 7)).timestamp()


def test_the_window_is_the_last_n_weeks_across_a_new_year():
    new_year = TIME_ZONE.localize(dt.datetime(2027, 1, 6, 12)).timestamp()
    assert weeks_ending(new_year, 3) == ("2026-W52", "2026-W53", "2027-W01")
    assert len(weeks_ending(NOW, 12)) == 12 and weeks_ending(NOW, 12)[-1] == "2026-W50"
    with pytest.raises(ValueError):
        weeks_ending(NOW, 0)


# ------------------------------------------------------------------ grouping


def test_a_conversation_counts_once_a_week_in_a_family(store):
    add(
        store,
        [("consent_what_is", NOW - 3600), ("consent_saying_no", NOW - 1800), ("relationships_respect", NOW - 60)],
        audience="teacher",
    )
    report = insights(store.engine, weeks=2, now=NOW)
    assert report.count("2026-W50", "teacher", "consent") == 1
    assert report.count("2026-W50", "teacher", "relationships") == 1
    assert sum(report.counts.values()) == 2


def test_a_conversation_over_two_weeks_counts_in_each(store):
    add(store, [("law_nudes_illegal", NOW - 7 * DAY), ("law_16_17", NOW)], audience="pupil", band="14_15")
    report = insights(store.engine, weeks=2, now=NOW)
    assert report.count("2026-W49", "pupil", "law_on_images") == 1
    assert report.count("2026-W50", "pupil", "law_on_images") == 1


def test_five_conversations_are_five_and_chit_chat_counts_nowhere(store):
    for _ in range(5):
        add(store, [("greet", NOW - 10), ("consent_what_is", NOW), ("consent_what_is", NOW + 5)], audience="parent")
    add(store, [("greet", NOW), ("out_of_scope", NOW + 1), ("nlu_fallback", NOW + 2)], audience="parent")
    report = insights(store.engine, weeks=1, now=NOW)
    assert report.counts == {("2026-W50", "parent", "consent"): 5}
    assert cells(report)[("2026-W50", "parent", "consent")] == "5"


def test_the_last_audience_given_is_the_conversation_s_and_none_given_is_unknown(store):
    from rasa.shared.core.events import SlotSet, UserUttered

    sender = add(store, [("help_childline", NOW)], audience="pupil", band="11_13")
    # the same conversation later says it is a parent
    events = conversation(sender, [("help_childline", NOW)], audience="pupil", band="11_13")
    events += [
        UserUttered("i'm a parent", intent={"name": "set_audience", "confidence": 1.0}, timestamp=NOW + 10),
        SlotSet("audience", "parent", timestamp=NOW + 10),
    ]
    save(store, make_tracker(sender, events))
    add(store, [("help_childline", NOW)])
    report = insights(store.engine, weeks=1, now=NOW, age_bands=False)
    assert report.count("2026-W50", "parent", "help_routes") == 1
    assert report.count("2026-W50", "pupil", "help_routes") == 0
    assert report.count("2026-W50", "unknown", "help_routes") == 1


def test_conversations_outside_the_window_are_left_out(store):
    add(store, [("consent_what_is", NOW - 13 * 7 * DAY)], audience="pupil")
    add(store, [("consent_what_is", NOW)], audience="pupil")
    report = insights(store.engine, weeks=12, now=NOW)
    assert sum(report.counts.values()) == 1


def test_no_database_yet_gives_an_empty_report():
    report = insights(None, weeks=2, now=NOW)
    assert report.counts == {}
    assert set(cells(report).values()) == {"<5"}


# ------------------------------------------------------------------ suppression


@pytest.mark.parametrize("count, expected", [(0, "<5"), (1, "<5"), (4, "<5"), (5, "5"), (6, "6"), (120, "120")])
def test_counts_under_five_are_shown_as_under_five(count, expected):
    assert shown(count) == expected


def test_every_cell_is_listed_and_small_ones_suppressed():
    weeks = ("2026-W49", "2026-W50")
    counts = Counter({("2026-W50", "pupil", "11_13", "consent"): 4, ("2026-W50", "teacher", "", "lessons"): 7})
    report = build(counts, weeks)
    table = cells(report)
    assert len(table) == 2 * 4 * 8, "every week x audience x topic, zeros included"
    assert table[("2026-W50", "pupil", "consent")] == "<5"
    assert table[("2026-W50", "teacher", "lessons")] == "7"
    assert table[("2026-W49", "teacher", "lessons")] == "<5"
    assert {a for _, a, _ in table} == {"pupil", "parent", "teacher", "unknown"}, "no age band unless asked"


def test_age_bands_are_withheld_unless_every_cell_is_at_least_five():
    weeks = ("2026-W50",)
    counts = Counter()
    for topic in FAMILY_IDS:
        counts[("2026-W50", "pupil", "11_13", topic)] = 6
        counts[("2026-W50", "pupil", "14_15", topic)] = 5
    shown_split = build(counts, weeks, age_bands=True)
    assert shown_split.age_bands == "shown"
    table = cells(shown_split)
    assert table[("2026-W50", "pupil_11_13", "consent")] == "6"
    assert table[("2026-W50", "pupil_14_15", "lessons")] == "5"
    assert not any(a == "pupil" for _, a, _ in table), "no pupil total beside the bands: nothing to subtract"

    counts[("2026-W50", "pupil", "14_15", "self_harm")] = 4
    withheld = build(counts, weeks, age_bands=True)
    assert withheld.age_bands == "withheld"
    table = cells(withheld)
    assert not any(a.startswith("pupil_") for _, a, _ in table)
    assert table[("2026-W50", "pupil", "self_harm")] == "10"

    counts[("2026-W50", "pupil", "", "consent")] = 2  # pupils who gave no age are a band of their own
    counts[("2026-W50", "pupil", "14_15", "self_harm")] = 5
    assert build(counts, weeks, age_bands=True).age_bands == "withheld"


# ------------------------------------------------------------------ what is never shown


def test_no_sender_id_and_no_message_text_in_any_format(store):
    senders = [add(store, [("disclosure_sextortion", NOW)], audience="pupil", band="14_15") for _ in range(6)]
    report = insights(store.engine, weeks=2, now=NOW, age_bands=True)
    for fmt in ("csv", "md", "html"):
        out = render(report, fmt, "Test School", "2026-12-09")
        assert SECRET_TEXT not in out and "disclosure_sextortion" not in out
        assert not any(s in out for s in senders)
        assert "-W50" in out
    assert cells(report)[("2026-W50", "pupil", "sextortion")] == "6"
    assert report.age_bands == "withheld", "one band of 6 cells under 5 elsewhere: no split"


def test_the_csv_holds_nothing_but_weeks_audiences_topics_and_counts(store):
    add(store, [("consent_pressure", NOW)], audience="pupil", band="16_17")
    out = render(insights(store.engine, weeks=12, now=NOW), "csv", "x", "y")
    lines = out.splitlines()
    assert lines[0] == "week,audience,topic,conversations"
    row = re.compile(r"^\d{4}-W\d\d,(pupil|parent|teacher|unknown),(" + "|".join(FAMILY_IDS) + r"),(<5|\d+)$")
    assert all(row.match(line) for line in lines[1:])
    assert len(lines) == 1 + 12 * 4 * 8


# ------------------------------------------------------------------ retention


def test_purge_keeps_the_counts_and_nothing_else(store):
    old = NOW - 40 * DAY  # 2026-W44
    for _ in range(5):
        add(store, [("consent_what_is", old), ("consent_changing_mind", old + 60)], audience="pupil", band="11_13")
    add(store, [("self_harm_unknown_intent_is_ignored", old), ("help_self_harm_worry", old)], audience="parent")
    add(store, [("lesson_starter", NOW - DAY)], audience="teacher")  # recent: stays stored
    before = insights(store.engine, weeks=12, now=NOW)
    assert before.count("2026-W44", "pupil", "consent") == 5

    conversations, rows = purge_older_than(store.engine, 30, now=NOW)
    assert conversations == 6 and rows > 6 * 8
    after = insights(store.engine, weeks=12, now=NOW)
    assert after.counts == before.counts
    assert cells(after)[("2026-W44", "pupil", "consent")] == "5"

    with store.engine.connect() as conn:
        senders = {row[0] for row in conn.exec_driver_sql("SELECT DISTINCT sender_id FROM events")}
        columns = [c["name"] for c in sa.inspect(conn).get_columns("insights_weekly")]
        kept = conn.exec_driver_sql("SELECT * FROM insights_weekly ORDER BY topic").fetchall()
    assert len(senders) == 1, "only the recent conversation is still stored"
    assert columns == ["week", "audience", "age_band", "topic", "conversations"]
    assert [tuple(r) for r in kept] == [
        ("2026-W44", "pupil", "11_13", "consent", 5),
        ("2026-W44", "parent", "", "self_harm", 1),
    ]

    # a second purge finds nothing more to count; a new conversation in a purged week adds to the kept count
    assert purge_older_than(store.engine, 30, now=NOW) == (0, 0)
    add(store, [("consent_what_is", old + DAY)], audience="pupil", band="11_13")
    assert insights(store.engine, weeks=12, now=NOW).count("2026-W44", "pupil", "consent") == 6
    purge_older_than(store.engine, 30, now=NOW)
    assert insights(store.engine, weeks=12, now=NOW).count("2026-W44", "pupil", "consent") == 6


def test_the_kept_counts_keep_their_age_bands(store):
    old = NOW - 40 * DAY
    intents = [f.intents[0] for f in families().families]  # one of each family
    for _ in range(5):
        add(store, [(intent, old) for intent in intents], audience="pupil", band="14_15")
    purge_older_than(store.engine, 30, now=NOW)
    report = insights(store.engine, weeks=1, now=old, age_bands=True)
    assert report.age_bands == "shown"
    assert cells(report)[("2026-W44", "pupil_14_15", "self_harm")] == "5"


def test_forget_leaves_nothing_in_the_counts(store):
    old = NOW - 40 * DAY
    gone = add(store, [("disclosure_abuse", old)], audience="pupil")
    add(store, [("disclosure_abuse", old)], audience="pupil")
    assert forget_conversation(store.engine, gone) > 0
    purge_older_than(store.engine, 30, now=NOW)
    assert insights(store.engine, weeks=12, now=NOW).count("2026-W44", "pupil", "abuse_and_disclosures") == 1


def test_kept_counts_older_than_two_years_go_at_the_next_purge(store):
    ancient = NOW - 800 * DAY
    add(store, [("consent_what_is", ancient)], audience="pupil")
    purge_older_than(store.engine, 30, now=ancient + 31 * DAY)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM insights_weekly").scalar() == 1
    add(store, [("consent_what_is", NOW - 40 * DAY)], audience="pupil")
    purge_older_than(store.engine, 30, now=NOW)
    with store.engine.connect() as conn:
        weeks = [r[0] for r in conn.exec_driver_sql("SELECT week FROM insights_weekly")]
    assert weeks == ["2026-W44"]


# ------------------------------------------------------------------ the page and the command


def test_the_page_fetches_nothing_and_its_style_is_the_one_the_csp_allows(store):
    for _ in range(5):
        add(store, [("lesson_scenario", NOW)], audience="teacher")
    page = render(insights(store.engine, weeks=4, now=NOW), "html", "Test <School>", "2026-12-09")
    assert page.startswith("<!doctype html>")
    for external in ("<script", "<link", "src=", "href=", "url(", "@import"):
        assert external not in page, external
    assert "Test &lt;School&gt;" in page
    assert page.count("<svg") == 4 and page.count("<table") == 4
    assert "@media print" in page and "@page" in page
    assert ' style="' not in page, "a style attribute would need 'unsafe-inline'"
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in content_security_policy()
    assert "default-src 'none'" in content_security_policy()
    assert ">5</text>" in page and "&lt;5</text>" in page


def test_the_command_prints_csv_and_writes_files(store, tmp_path, capsys):
    from bot.insights.__main__ import main

    add(store, [("help_ceop", NOW)], audience="parent")
    url = str(store.engine.url)
    assert main(["--format", "csv", "--weeks", "3", "--url", url]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "week,audience,topic,conversations" and len(out.splitlines()) == 1 + 3 * 32
    target = tmp_path / "insights.html"
    assert main(["--format", "html", "--url", url, "--out", str(target)]) == 0
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert main(["--format", "md", "--url", url, "--age-bands"]) == 0
    captured = capsys.readouterr()
    assert "| week |" in captured.out and "not shown by age band" in captured.err
    with pytest.raises(SystemExit):
        main(["--weeks", "0", "--url", url])


# ------------------------------------------------------------------ served behind the token


@pytest.fixture
def web(store, monkeypatch):
    """The demo web server in this process, on a free port, reading the test's SQLite file."""
    from bot.web_server import make_server

    monkeypatch.setenv("TRACKER_DB", str(store.engine.url.database))
    monkeypatch.delenv("DB_HOST", raising=False)
    servers = []

    def start(token):
        server = make_server(str(ROOT / "web"), 0, "http://127.0.0.1:5005", insights_token=token)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def fetch(url: str, headers: dict | None = None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8", "replace")


def test_the_page_is_served_only_with_the_token(web, store, capsys):
    token = "tok-" + uuid.uuid4().hex
    base = web(token)
    for _ in range(5):
        add(store, [("consent_what_is", dt.datetime.now().timestamp())], audience="teacher")
    assert fetch(f"{base}/insights/")[0] == 401
    assert fetch(f"{base}/insights/?token=wrong")[0] == 403
    assert fetch(f"{base}/insights/", {"Authorization": "Bearer wrong"})[0] == 403
    status, headers, body = fetch(f"{base}/insights/?token={token}")
    assert status == 200 and "<svg" in body
    assert headers["Content-Security-Policy"] == content_security_policy()
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    assert "<td>5</td>" in body
    assert fetch(f"{base}/insights", {"Authorization": f"Bearer {token}"})[0] == 200
    assert token not in capsys.readouterr().err, "the request log leaves the token out"
    # the widget's own pages keep the widget's CSP
    assert "connect-src" in fetch(f"{base}/demo/index.html")[1]["Content-Security-Policy"]


def test_without_a_token_configured_there_is_no_page(web):
    assert fetch(f"{web(None)}/insights/?token=anything")[0] == 404
