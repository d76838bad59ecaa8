"""Lesson mode as the action server runs it: replies and slot updates for a teacher's turns."""

import re

from bot.lessons import lesson_mode


def run(intent, text="", slots=None, **kw):
    return lesson_mode.respond(intent, text, dict(slots or {}), seed=1, **kw)


def test_a_whole_ks3_quiz_round():
    replies, slots = run("lesson_quiz_start", "start a myth or fact quiz for year 8")
    assert slots["key_stage"] == "ks3" and slots["lesson_active"] is True
    total = len(slots["quiz"]["ids"])
    assert 5 <= total <= 10
    assert "Question 1 of" in replies[-1].text
    assert [t for t, _ in replies[-1].buttons][:2] == ["Myth", "Fact"]
    for _ in range(total):
        slots["quiz_choice"] = "myth"
        replies, new = run("quiz_answer", "myth", slots)
        slots.update(new)
    assert re.search(rf"You scored \d+ out of {total}", replies[-1].text)
    assert slots["lesson_active"] is False


def test_a_quiz_on_the_topic_and_of_the_length_asked_for():
    from bot.lessons import library

    replies, slots = run("lesson_quiz_start", "Six myth-or-fact statements on consent for a Y8 PSHE lesson please")
    ids = slots["quiz"]["ids"]
    assert len(ids) == 6 and "on consent" in replies[0].text
    on_topic = [i for i in ids if library.statement(i)["area"] == "consent"]
    pool = [q for q in library.library()["quiz"] if q["area"] == "consent" and "ks3" in q["key_stages"]]
    assert len(on_topic) == min(6, len(pool)) and on_topic
    _, slots = run("lesson_quiz_start", "a quiz for year 9 please")  # a year is not a length
    assert len(slots["quiz"]["ids"]) == library.QUIZ_DEFAULT


def test_stop_skip_and_restart():
    _, slots = run("lesson_quiz_start", "quiz ks4")
    _, new = run("quiz_skip", "skip", slots)
    slots.update(new)
    assert slots["quiz"]["index"] == 1
    replies, new = run("quiz_stop", "stop the quiz", slots)
    slots.update(new)
    assert "stopped" in replies[-1].text.lower()
    replies, new = run("quiz_restart", "start again", slots)
    assert new["quiz"]["index"] == 0 and "Question 1 of" in replies[-1].text


def test_answer_without_a_quiz_offers_one():
    replies, _ = run("quiz_answer", "myth", {"quiz_choice": "myth"})
    assert replies[0].buttons


def test_starter_picks_the_key_stage_and_area_and_rshe_follows():
    replies, slots = run("lesson_starter", "I need an activity for 12-14 year olds on verbal and non-verbal consent")
    assert slots["key_stage"] == "ks3"
    assert re.search(r"verbal|body language", replies[0].text, re.I)
    rshe, _ = run("lesson_rshe", "which RSHE outcomes does this cover", slots)
    assert "RSHE" in rshe[0].text and "- " in rshe[0].text


def test_rshe_asked_about_before_any_lesson_item_says_what_schools_must_teach():
    replies, _ = run("lesson_rshe", "is RSE compulsory and can parents withdraw their child")
    text = replies[0].text
    assert "1 September 2026" in text and re.search(r"withdrawn from sex education, but not from Relationships", text)
    assert "Wales" in text and "Scotland" in text and "Northern Ireland" in text
    assert "starter" in replies[-1].text


def test_incident_guidance_follows_ukcis_and_the_nation():
    england, _ = run("teacher_incident_guidance", "what do I do if a pupil shows me a nude")
    text = england[0].text
    assert "DSL" in text and re.search(r"never view, copy, print, share, store or save", text, re.I)
    assert re.search(r"promise", text, re.I)
    assert "0800 1111" in text


def test_starters_scenarios_and_a_quiz_end_signpost_help_and_the_dsl():
    starter, _ = run("lesson_starter", "a starter on consent for year 9")
    scenario, _ = run("lesson_scenario", "a scenario about nudes for year 10")
    _, slots = run("lesson_quiz_start", "quiz ks4")
    ended, _ = run("quiz_stop", "stop the quiz", slots)
    for reply in (starter[0], scenario[0], ended[-1]):
        assert "0800 1111" in reply.text and "DSL" in reply.text
        assert re.search(r"don't promise to keep it secret", reply.text)
        assert "{" not in reply.text


def test_a_key_idea_named_in_a_teachers_request_comes_first():
    """'Is the UKCIS advice statutory?' is answered before the incident steps; a statistic before a starter."""
    guidance, _ = run("teacher_incident_guidance", "Is the UKCIS nudes advice statutory? SLT want to know")
    assert guidance[0].text.startswith("The UKCIS advice") and "non-statutory" in guidance[0].text
    assert "Never view" in guidance[0].text or "Do not look" in guidance[0].text
    starter, _ = run("lesson_starter", "any stats on how many young people have sent a nude? starter for Y10")
    assert starter[0].text.index("26%") < starter[0].text.index("Starter")
    plain, _ = run("lesson_starter", "a starter on healthy relationships for Y8")
    assert "26%" not in plain[0].text
