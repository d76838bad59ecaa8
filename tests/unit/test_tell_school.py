"""Tell my school (bot/tell_school/): the steps, the words, reference phrases, the store, the settings and the
inbox page's checks. The email goes to a real SMTP server on loopback with STARTTLS."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa
import textstat
from sqlalchemy.exc import IntegrityError

from bot.tell_school import flow, mailer, words
from bot.tell_school.chat import Route, reply_to
from bot.tell_school.pages import authorised, form_check
from bot.tell_school.settings import Limits, Smtp, profile_from
from bot.tell_school.store import CHAT_TTL, DAY, Chat, Store
from tests.unit.test_content import GRADE_LIMIT

READERS = ("pupil_u10", "pupil", "parent")
# The band each wording is read at: `pupil` is read from 11, so it keeps the 11-13 limit.
LIMIT = {"pupil_u10": GRADE_LIMIT["pupil_u10"], "pupil": GRADE_LIMIT["pupil_11_13"], "parent": GRADE_LIMIT["parent"]}
CHAT_TEXTS = [k for k, v in words.library().items() if isinstance(v, dict) and set(READERS) <= set(v)]


# ------------------------------------------------------------------ the steps


def test_the_offer_asks_and_lets_the_pupil_say_no():
    reply = flow.offer("pupil")
    assert reply.text.startswith(
        "Do you want to send a message to the designated safeguarding lead (DSL) at your school?"
    )
    assert [p for _, p in reply.buttons] == [flow.EXPLAIN, flow.NO, flow.READ]


def test_declining_sends_nothing_and_is_remembered():
    out = flow.step(Chat("a", step="offered", offered=True), flow.NO, "pupil")
    assert out.action is None and "Nothing was sent" in out.replies[0].text
    assert out.chat.declined and out.chat.step == "" and out.chat.draft is None


@pytest.mark.parametrize("who", READERS)
def test_before_writing_the_bot_says_who_reads_when_not_an_emergency_anonymous_and_names_optional(who):
    text = flow.step(Chat("a"), flow.EXPLAIN, who).replies[0].text
    assert "Mon–Fri 8:30–16:00" in text and "next school day" in text
    assert "999" in text and "0800 1111" in text
    assert "name" in text and "act to" in text


def test_what_is_written_is_the_message_shown_exactly_and_never_passed_on():
    writing = flow.step(Chat("a"), flow.WRITE, "pupil").chat
    assert writing.step == "writing"
    message = "My name is Sam in 9B. {not a placeholder} someone at the bus stop scares me"
    out = flow.step(writing, message, "pupil")
    assert out.action == flow.CHECK_SAFETY and out.chat.draft == message and out.chat.step == "confirming"
    assert f"\n\n{message}\n\n" in out.replies[0].text and "Do you want to send it?" in out.replies[0].text
    assert [p for _, p in out.replies[0].buttons] == [flow.SEND, flow.CHANGE, flow.CANCEL]
    sent = flow.step(out.chat, flow.SEND, "pupil")
    assert sent.action == flow.SEND_DRAFT and sent.values == {"message": message} and sent.chat.draft is None


def test_send_without_a_confirmed_draft_sends_nothing():
    assert flow.step(Chat("a", step="writing"), flow.SEND, "pupil").action is None


def test_outside_the_route_typed_text_goes_to_the_assistant():
    assert flow.step(Chat("a"), "what is consent", "pupil") is None
    assert flow.step(Chat("a", step="offered"), "what is consent", "pupil") is None


def test_teachers_are_told_to_follow_their_schools_procedure():
    out = flow.step(Chat("a"), flow.EXPLAIN, "teacher")
    assert "school's own safeguarding procedure" in out.replies[0].text and out.action is None


def _shown(step: str) -> tuple:
    """The options a step shows."""
    if step == "offered":
        return flow.offer("parent").buttons
    if step == "confirming":
        return flow.confirm("parent", "x").buttons
    return flow.step(Chat("a"), {"explained": flow.EXPLAIN, "reading": flow.READ}[step], "parent").replies[0].buttons


@pytest.mark.parametrize("step", ["offered", "explained", "confirming", "reading"])
def test_without_buttons_each_option_can_be_typed_as_its_title(step):
    for title, payload in _shown(step):
        assert flow.typed_choice(step, title) == payload
        assert flow.typed_choice(step, f"  {title.upper()}!! ") == payload


def test_typed_yes_and_no_pick_an_option_only_in_the_step_that_shows_it():
    assert flow.typed_choice("offered", "Yes please") == flow.EXPLAIN
    assert flow.typed_choice("offered", "no thanks.") == flow.NO
    assert flow.typed_choice("explained", "yes") == flow.WRITE
    assert flow.typed_choice("confirming", "yes") == flow.SEND
    assert flow.typed_choice("confirming", "don\u2019t send") == flow.CANCEL
    for step in ("", "writing"):  # nothing is shown: "yes" is for the assistant, or is the message itself
        assert flow.typed_choice(step, "yes") is None
    assert flow.typed_choice("confirming", "yes he sent it to me") is None
    assert flow.typed_choice("offered", "") is None


@pytest.mark.parametrize("key", CHAT_TEXTS)
@pytest.mark.parametrize("who", READERS)
def test_each_reader_gets_words_they_can_read(key, who):
    text = words.say(key, who, phrase="otter-maple-kite-river", message="x", reply="x", example="a-b-c-d")
    grade = textstat.flesch_kincaid_grade(text)
    assert grade <= LIMIT[who], f"{key} {who}: grade {grade}"


def test_no_number_is_written_in_the_words_only_the_services_registry_s():
    raw = str({k: v for k, v in words.library().items() if k != "words"})
    assert "999" not in raw and "0800" not in raw


# ------------------------------------------------------------------ phrases


def test_phrases_are_four_easy_words_and_read_back_however_typed():
    phrase = words.new_phrase()
    assert len(phrase.split("-")) == 4
    assert words.read_phrase(" " + phrase.upper().replace("-", " ") + ". ") == phrase
    assert len(words.library()["words"]) >= 200 and all(w.isalpha() and w.islower() for w in words.library()["words"])


@pytest.mark.parametrize(
    "typed", ["", "otter maple kite", "otter maple kite river lake", "otter maple kite xyzzy", None]
)
def test_anything_else_is_not_a_phrase(typed):
    assert words.read_phrase(typed) is None


# ------------------------------------------------------------------ the store


@pytest.fixture
def store(tmp_path):
    now = [1_000_000.0]
    s = Store(sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"), clock=lambda: now[0])
    s.now = now
    return s


def test_a_report_is_kept_found_by_its_phrase_seen_and_answered(store):
    number = store.add("otter-maple-kite-river", "pupil_11_13", "help")
    assert store.by_phrase("otter-maple-kite-lake") is None
    found = store.by_phrase("otter-maple-kite-river")
    assert (found.id, found.message, found.seen, found.reply, found.emailed) == (number, "help", None, None, False)
    assert "waiting" in reply_to(found, "pupil").text
    assert store.mark_seen(number) and not store.mark_seen(number)
    assert "has read your message" in reply_to(store.get(number), "pupil").text
    assert store.reply(number, "Come to room 4 at break.")
    assert "Come to room 4 at break." in reply_to(store.by_phrase("otter-maple-kite-river"), "pupil").text
    with pytest.raises(IntegrityError):
        store.add("otter-maple-kite-river", "parent", "again")


def test_the_phrase_is_kept_only_as_a_hash(store):
    store.add("otter-maple-kite-river", "parent", "help")
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM tell_school_reports").fetchall()
    assert "otter" not in repr(rows)


def test_reports_are_deleted_when_the_retention_period_ends(store):
    store.add("otter-maple-kite-river", "parent", "old")
    store.now[0] += 29 * DAY
    store.add("otter-maple-kite-lake", "parent", "new")
    store.now[0] += 2 * DAY
    assert store.purge(30) == (1, 0)
    assert [r.message for r in store.reports()] == ["new"]


def test_a_conversation_s_step_and_draft_are_forgotten_after_a_day_or_on_quick_exit(store):
    store.save_chat(Chat("a", step="confirming", draft="secret"))
    assert store.chat("a").draft == "secret"
    store.now[0] += CHAT_TTL + 1
    assert store.chat("a") == Chat("a")
    store.save_chat(Chat("b", step="writing"))
    store.forget_chat("b")
    assert store.chat("b") == Chat("b")


# ------------------------------------------------------------------ settings, limits, page checks


def test_the_profile_section_is_checked():
    assert profile_from({"dsl_email": "dsl@x.sch.uk", "hours": "Mon–Fri"}).enabled
    assert not profile_from({"enabled": False}).enabled
    for bad in ({"dsl_emial": "x"}, {"dsl_email": "not an address", "hours": "x"}, {"dsl_email": "a@b.uk"}):
        with pytest.raises(ValueError):
            profile_from(bad)


def test_email_without_tls_only_to_this_machine():
    assert Smtp.from_env({"TELL_SCHOOL_SMTP_HOST": "127.0.0.1", "TELL_SCHOOL_SMTP_TLS": "none"}).tls == "none"
    with pytest.raises(ValueError):
        Smtp.from_env({"TELL_SCHOOL_SMTP_HOST": "smtp.school.example", "TELL_SCHOOL_SMTP_TLS": "none"})
    assert Smtp.from_env({"TELL_SCHOOL_SMTP_HOST": "smtp.school.example"}).port == 587
    assert not Smtp.from_env({}).configured


def test_the_rate_limits_hold_per_conversation_and_per_address():
    route = Route(Limits(per_chat=2, per_address=3, lookups=1))
    assert [route.per_chat.check("a") for _ in range(3)][-1] != "allow"
    assert [route.per_address.check("10.0.0.1") for _ in range(4)][-1] != "allow"
    assert route.per_address.check("10.0.0.2") == "allow"


def test_the_inbox_needs_the_dsl_s_password():
    basic = "Basic " + base64.b64encode(b"dsl:s3cret").decode()
    assert authorised(basic, "s3cret") and authorised("Bearer s3cret", "s3cret")
    wrong = "Basic " + base64.b64encode(b"dsl:guess").decode()
    other_user = "Basic " + base64.b64encode(b"admin:s3cret").decode()
    for header in (None, "", wrong, other_user, "Bearer guess", "Basic !!!"):
        assert not authorised(header, "s3cret")
    assert not authorised(basic, "")
    assert form_check("s3cret") != form_check("other") and "s3cret" not in form_check("s3cret")


# ------------------------------------------------------------------ email


@pytest.fixture
def mail_server():
    from tests.servers import MailServer

    server = MailServer().start()
    yield server
    server.remove()


def test_the_email_goes_over_starttls_to_the_dsl_inbox(mail_server):
    smtp = Smtp.from_env(mail_server.env())
    mailer.send(mailer.compose(7, "pupil_14_15", "Someone keeps messaging me", 1_700_000_000, smtp), smtp)
    [(to, mail)] = mail_server.messages
    assert to == ["dsl@school.example"] and "(#7)" in mail["Subject"]
    assert "Someone keeps messaging me" in mail.get_content() and "pupil aged 14 or 15" in mail.get_content()


def test_email_down_is_a_clear_error(mail_server):
    smtp = Smtp.from_env(mail_server.env())
    mail_server.stop()
    with pytest.raises(mailer.MailError, match="ConnectionRefused"):
        mailer.send(mailer.compose(1, "parent", "x", 1_700_000_000, smtp), smtp)


def test_an_untrusted_certificate_is_refused(mail_server):
    smtp = Smtp.from_env({**mail_server.env(), "TELL_SCHOOL_SMTP_CA_FILE": ""})
    with pytest.raises(mailer.MailError, match="SSL"):
        mailer.send(mailer.compose(1, "parent", "x", 1_700_000_000, smtp), smtp)
    assert mail_server.messages == []


def test_make_purge_deletes_old_messages_to_the_dsl(tmp_path, capsys):
    import time

    from bot.privacy import retention

    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    Store(sa.create_engine(url), clock=lambda: time.time() - 31 * DAY).add("otter-maple-kite-river", "parent", "old")
    Store(sa.create_engine(url)).add("otter-maple-kite-lake", "parent", "new")
    assert retention.main(["--url", url, "purge", "--days", "30"]) == 0
    assert "purged 1 message(s) to the DSL" in capsys.readouterr().out
    assert [r.message for r in Store(sa.create_engine(url)).reports()] == ["new"]


def test_no_conversation_id_outlives_a_purge_shorter_than_a_day(tmp_path):
    """With a retention shorter than the steps' day, a purged conversation's step goes with it."""
    import time

    from bot.privacy import retention

    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    Store(sa.create_engine(url), clock=lambda: time.time() - 3600).save_chat(Chat("an-hour-ago", step="offered"))
    Store(sa.create_engine(url)).save_chat(Chat("just-now", step="writing", draft="a draft"))
    assert retention.main(["--url", url, "purge", "--days", "0.01"]) == 0  # about 15 minutes
    store = Store(sa.create_engine(url))
    assert store.chat("an-hour-ago") == Chat("an-hour-ago") and store.chat("just-now").step == "writing"
    assert retention.main(["--url", url, "purge", "--days", "0"]) == 0
    assert store.chat("just-now") == Chat("just-now")


def test_forgetting_a_parents_number_forgets_their_draft_but_not_what_they_sent(tmp_path, monkeypatch):
    from bot.channels.conversation_ids import twilio_id
    from bot.privacy import retention

    monkeypatch.setenv("CONVERSATION_ID_KEY", "the-id-key")
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    store = Store(sa.create_engine(url))
    parent, other = twilio_id("the-id-key", "whatsapp:+447700900123"), twilio_id("the-id-key", "+447700900124")
    store.save_chat(Chat(parent, step="confirming", draft="a draft"))
    store.save_chat(Chat(other, step="writing"))
    store.add("otter-maple-kite-river", "parent", "sent before")
    assert retention.main(["--url", url, "forget", "--phone", "07700 900123"]) == 0
    assert store.chat(parent) == Chat(parent) and store.chat(other).step == "writing"
    assert [r.message for r in store.reports()] == ["sent before"]


def test_the_development_catcher_keeps_each_email_as_a_file(tmp_path):
    from aiosmtpd.controller import Controller

    from bot.serve import free_port
    from bot.tell_school.catcher import SaveToFolder

    port = free_port()
    controller = Controller(SaveToFolder(tmp_path), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp = Smtp.from_env(
            {"TELL_SCHOOL_SMTP_HOST": "127.0.0.1", "TELL_SCHOOL_SMTP_PORT": str(port), "TELL_SCHOOL_SMTP_TLS": "none"}
        )
        mailer.send(mailer.compose(3, "pupil", "caught", 1_700_000_000, smtp), smtp)
    finally:
        controller.stop()
    [saved] = tmp_path.glob("*.eml")
    assert b"caught" in saved.read_bytes()


# ------------------------------------------------------------------ the route in a channel, and its audit lines


def test_a_parents_report_is_audited_without_its_text_and_never_reaches_a_turn(
    tmp_path, mail_server, monkeypatch, caplog
):
    """WhatsApp's way through the route (the channel's audience, typed words, an address per sender), with the
    project's tracker store on SQLite and the real mail server; Rasa's turn and NLU are stand-ins."""
    import asyncio
    import logging
    from types import SimpleNamespace

    from rasa.shared.core.domain import Domain

    from bot.privacy.tracker_store import RedactingTrackerStore

    for name, value in mail_server.env().items():
        monkeypatch.setenv(name, value)
    tracker_store = RedactingTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "chat.db"))

    async def parse_message(text):
        return {"intent": {"name": "greet"}}

    app = SimpleNamespace(
        ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=tracker_store, parse_message=parse_message))
    )
    turns = []

    async def turn(text):
        turns.append(text)
        return [{"text": "An answer."}]

    route, sender = Route(Limits(per_chat=3, per_address=10, lookups=30)), "tw-0123abcd"
    message = "My son Tom is being bullied on the bus, please call me"

    async def say(text):
        return await route.around(app, sender, text, f"twilio:{sender}", turn, audience="parent", typed_words=True)

    async def conversation():
        route.store(app.ctx.agent).save_chat(Chat(sender, step="offered", offered=True))
        replies = [await say(t) for t in ("yes", "write my message", message, "send it")]
        return replies, await say("what is sextortion")

    with caplog.at_level(logging.INFO):
        replies, after = asyncio.run(conversation())
    assert "Here is how it works" in replies[0][0]["text"] and message in replies[2][0]["text"]
    assert "reference phrase is" in replies[3][0]["text"] and after == [{"text": "An answer."}]
    assert turns == ["what is sextortion"], "only the last message became a turn"

    [report] = route.store(app.ctx.agent).reports()
    assert (report.message, report.reader, report.emailed) == (message, "parent", True)
    audit_lines = [r.getMessage() for r in caplog.records if r.name == "bot.tell_school.audit"]
    assert f"tell-school: report #{report.id} saved in the inbox (parent)" in audit_lines
    assert f"tell-school: report #{report.id} emailed to the DSL" in audit_lines
    logged = caplog.text + repr([r.args for r in caplog.records])
    assert "bullied" not in logged and sender not in logged
    [(_, mail)] = mail_server.messages
    assert sender not in mail.as_string() and "parent or carer" in mail.get_content()
