"""The support answers (issue 20): what a person reads after a safety answer, or before a disclosure.

Each keeps the help routes in reach, never promises secrecy, never asks for details or images, and says
plainly that the bot is a bot that cannot contact anyone.
"""

import re

import pytest
import textstat

from bot.answers.answering import system_texts
from bot.answers.audience import OPTIONAL_VARIANTS, VARIANT_KEYS
from bot.answers.content_library import School, answers, render_answer, render_text, services
from bot.answers.nations import nations

KEYS = [*VARIANT_KEYS, *OPTIONAL_VARIANTS]
PUPIL_KEYS = [k for k in KEYS if k.startswith("pupil")]
SUPPORT = sorted(a for a in answers() if a.startswith("support_"))
PROFILES = [School(nation=n) for n in nations()]
CHILDLINE = services()["childline"].phone
NSPCC = services()["nspcc"].phone
EMERGENCY = re.compile(rf"(?<!\d){services()['police_emergency'].phone}(?!\d)")
SUPPORT_SYSTEM_KEYS = ("support_unclear", "support_thanks")

# "I won't tell anyone", "your secret is safe", "nobody will find out": a promise no one can keep.
PROMISES_SECRECY = re.compile(
    r"\b(I|we|they|nobody|no one)\s+(will|won'?t|will never|never)\s+(tell|find out|know)\b"
    r"|\bsecret is safe\b|\bI('ll| will) keep (it|this|that)\b|\b(I|we) promise\b",
    re.I,
)
# Asking the reader for details or pictures.
ASKS_FOR_DETAILS = re.compile(r"\b(send|show) me\b|\btell me (what|who|more about what)\b|\bwhat happened\?", re.I)
BOT_CANNOT_CONTACT = re.compile(
    r"I('m| am) a bot, so I can't (call|contact)|I can't contact anyone[^.]*because I'm a bot"
)


def _all(profile=School()):
    for answer_id in SUPPORT:
        for key in KEYS:
            yield answer_id, key, render_answer(answer_id, key, profile)


def test_all_nine_support_answers_are_in_the_library():
    expected = {
        "support_opener",
        "support_keep_private",
        "support_in_trouble",
        "support_tell_for_me",
        "support_posted_anyway",
        "support_already_paid",
        "support_delete_account",
        "support_no_calls",
        "support_scared",
    }
    assert set(SUPPORT) == expected


@pytest.mark.parametrize("answer_id", SUPPORT)
def test_each_support_answer_is_complete(answer_id):
    a = answers()[answer_id]
    assert a.area == "help" and a.title and a.last_reviewed == "2026-12-07"
    assert a.sources and all(s.startswith(("Fact sheet", "Design notes", "Content review")) for s in a.sources)
    assert 1 <= len(a.follow_ups) <= 3
    assert set(VARIANT_KEYS) <= set(a.variants)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.nation)
def test_the_opener_never_raises_the_alarm(profile):
    for key in KEYS:
        text = render_answer("support_opener", key, profile)
        assert "999" not in text, key
        assert re.search(r"not a person", text) and re.search(r"no one reads|nobody reads|no one is watching", text)
    for key in PUPIL_KEYS:
        assert CHILDLINE in render_answer("support_opener", key, profile), key


@pytest.mark.parametrize("answer_id", ["support_keep_private", "support_no_calls"])
@pytest.mark.parametrize("key", PUPIL_KEYS)
def test_every_pupil_who_wants_it_kept_private_or_cannot_call_gets_childlines_number(answer_id, key):
    assert CHILDLINE in render_answer(answer_id, key)


@pytest.mark.parametrize("key", PUPIL_KEYS)
def test_keeping_it_private_gives_childlines_promise_as_help_childline_does(key):
    text = render_answer("support_keep_private", key)
    assert "danger" in text or "not safe" in text
    assert re.search(r"ask(s)? (them|it) to", text)
    assert re.search(r"talk to you first", text)
    assert re.search(r"I('m| am) a bot, so I can't (tell anyone|pass anything on)", text)


def test_childline_is_never_called_anonymous():
    # The fact sheet does not say Childline is anonymous (services.yml: anonymous: false); only the IWF
    # (and Take It Down) take reports without a name.
    for answer_id, key, text in _all():
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if re.search(r"without giving (your|their) name|anonymous", sentence, re.I):
                assert not re.search(r"childline|report remove|ceop", sentence, re.I), (answer_id, key)


def test_adults_are_told_not_to_promise_secrecy():
    teacher = render_answer("support_keep_private", "teacher")
    assert re.search(r"don't promise", teacher)
    assert re.search(r"pass it to your school's designated safeguarding lead", teacher)
    assert re.search(r"Don't promise to keep it secret", render_answer("support_keep_private", "parent"))


@pytest.mark.parametrize("key", KEYS)
def test_the_bot_says_it_cannot_contact_anyone(key):
    assert BOT_CANNOT_CONTACT.search(render_answer("support_tell_for_me", key)), key


@pytest.mark.parametrize("answer_id", ["support_tell_for_me"])
@pytest.mark.parametrize("key", KEYS)
def test_after_a_disclosure_999_is_in_reach(answer_id, key):
    text = render_answer(answer_id, key)
    assert EMERGENCY.search(text) and "danger right now" in text, key


def test_only_the_answers_that_follow_a_disclosure_name_999():
    for answer_id, key, text in _all():
        if answer_id != "support_tell_for_me":
            assert not EMERGENCY.search(text), (answer_id, key)


def test_18_year_olds_get_adult_routes_not_ceop_or_report_remove():
    for answer_id in ("support_tell_for_me", "support_posted_anyway", "support_already_paid", "support_delete_account"):
        text = render_answer(answer_id, "pupil_18plus")
        assert "CEOP" not in text and "Report Remove" not in text, answer_id
        assert services()["police_101"].phone in text, answer_id
    posted = render_answer("support_posted_anyway", "pupil_18plus")
    assert services()["revenge_porn_helpline"].name in posted
    assert re.search(r"taken before you were 18, Take It Down", posted)


@pytest.mark.parametrize("key", ["pupil_11_13", "pupil_14_15", "pupil_16_17", "parent", "teacher"])
def test_trouble_answer_says_police_can_use_outcome_21_and_the_decision_is_not_theirs(key):
    text = render_answer("support_in_trouble", key)
    assert re.search(r"can (use|record)[^.]*Outcome 21", text) and "usually" not in text
    assert re.search(r"to decide|are for the DSL, the police", text)


@pytest.mark.parametrize("key", [k for k in PUPIL_KEYS if k != "pupil_u10"])
def test_posted_anyway_sends_own_images_to_report_remove_and_others_to_the_iwf(key):
    text = render_answer("support_posted_anyway", key)
    if key != "pupil_18plus":
        assert re.search(r"Report Remove \([^)]*\) (helps|is for) under-18s", text)
    assert services()["iwf"].web in text
    assert re.search(r"never (of )?the image|not of the picture", text)


@pytest.mark.parametrize("key", KEYS)
def test_already_paid_says_dont_pay_more_and_still_report(key):
    text = render_answer("support_already_paid", key)
    assert re.search(r"Don't (pay|send) any more", text, re.I), key
    assert "fault" in text or "blame" in text, key
    assert re.search(r"report|referral", text, re.I), key


@pytest.mark.parametrize("key", KEYS)
def test_delete_account_keeps_the_evidence_first(key):
    text = render_answer("support_delete_account", key)
    assert re.search(r"(don't|not to) delete the chat", text, re.I), key


@pytest.mark.parametrize("key", [k for k in PUPIL_KEYS if k not in ("pupil_u10",)])
def test_no_calls_offers_text_and_chat(key):
    text = render_answer("support_no_calls", key)
    assert "1-2-1 chat" in text and services()["shout"].text in text


def test_no_support_answer_promises_secrecy_or_asks_for_details():
    for answer_id, key, text in _all():
        assert not PROMISES_SECRECY.search(text), (answer_id, key)
        assert not ASKS_FOR_DETAILS.search(text), (answer_id, key)


def test_no_support_answer_tells_a_parent_to_ask_childline():
    for answer_id in SUPPORT:
        assert not re.search(r"\b(ask|call|contact|ring)\s+Childline\b", render_answer(answer_id, "parent")), answer_id


# ---------------------------------------------------------------- system texts for the support state


@pytest.mark.parametrize("key", SUPPORT_SYSTEM_KEYS)
def test_support_system_texts_keep_the_routes_in_view(key):
    spec = system_texts()[key]
    assert set(spec) == {"pupil", "adult"}
    pupil, adult = render_text(spec["pupil"]), render_text(spec["adult"])
    assert "Childline" in pupil and CHILDLINE in pupil and EMERGENCY.search(pupil)
    assert "NSPCC" in adult and NSPCC in adult and EMERGENCY.search(adult)
    assert "{" not in pupil + adult
    assert textstat.flesch_kincaid_grade(pupil) <= 6 and textstat.flesch_kincaid_grade(adult) <= 9
    for text in (pupil, adult):
        assert not PROMISES_SECRECY.search(text) and not ASKS_FOR_DETAILS.search(text)


def test_support_system_texts_leave_the_others_alone():
    texts = system_texts()
    assert isinstance(texts["apology"], str) and isinstance(texts["unclear"], str)
    assert "didn't quite follow" in texts["support_unclear"]["pupil"]
