"""bot.answers.answering: when someone says who they are after a question, the question is answered again for them."""

from __future__ import annotations

from bot.answers.answering import answer, previous_question, system_texts, with_adult_route
from bot.answers.content_library import render_answer, school


def _user(intent: str) -> dict:
    return {"event": "user", "text": "x", "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def test_previous_question_is_the_message_before_the_latest():
    events = [
        _user("greet"),
        {"event": "bot", "text": "hi"},
        _user("law_16_17"),
        {"event": "bot"},
        _user("set_audience"),
    ]
    assert previous_question(events) == "law_16_17"
    assert previous_question([_user("set_audience")]) is None
    assert previous_question([]) is None


def test_a_parent_who_says_who_they_are_gets_their_question_answered_for_a_parent():
    first, asked = answer("law_16_17", None, None)
    assert asked and first[0].text == render_answer("law_16_17", "pupil_11_13", school())
    again, asked_again = answer("set_audience", "parent", None, audience_asked=True, previous="law_16_17")
    assert again[0].text == with_adult_route(
        render_answer("law_16_17", "parent", school()), "law_16_17", "parent", school()
    )
    assert not asked_again and len(again) == 1


def test_a_pupil_who_already_read_their_wording_gets_the_thanks():
    replies, _ = answer("set_audience", "pupil", None, audience_asked=True, previous="law_16_17")
    assert replies[0].text == render_answer("set_audience", "pupil_11_13", school())


def test_nothing_is_answered_again_after_small_talk_or_the_out_of_scope_reply():
    for previous in ("greet", "out_of_scope", "thanks", None, "disclosure_abuse"):
        replies, _ = answer("set_audience", "teacher", None, audience_asked=True, previous=previous)
        assert replies[0].text == render_answer("set_audience", "teacher", school()), previous


def test_the_support_replies_keep_the_routes_for_each_reader():
    for key in ("support_unclear", "support_thanks", "support_bot"):
        texts = system_texts()[key]
        assert "{childline.phone}" in texts["pupil"] and "{police_emergency.phone}" in texts["pupil"], key
        assert "{nspcc.phone}" in texts["adult"] and "{police_emergency.phone}" in texts["adult"], key


def test_an_unclear_message_after_a_topic_answer_gets_the_topics_gentle_check():
    replies, _ = answer("out_of_scope", "pupil", "16_17", previous="relationships_unhealthy_signs")
    text = replies[0].text
    assert text == render_answer("followup_relationships", "pupil_16_17", school())
    assert not text.startswith("Sorry") and "0800 1111" in text and "999" not in text
    assert [p for _, p in replies[0].buttons] == [
        "/relationships_control_phone",
        "/relationships_ending_safely",
        "/consent_pressure",
    ]
    for previous, follow_up in (("consent_pressure", "followup_consent"), ("law_16_17", "followup_law")):
        replies, _ = answer("nlu_fallback", "parent", None, previous=previous)
        assert replies[0].text == render_answer(follow_up, "parent", school())


def test_an_unclear_message_with_no_topic_before_it_gets_the_out_of_scope_reply():
    for previous in (None, "greet", "out_of_scope", "disclosure_abuse"):
        replies, _ = answer("out_of_scope", "pupil", "14_15", previous=previous)
        assert replies[0].text == render_answer("out_of_scope", "pupil_14_15", school()), previous


RANKING = [
    {"name": "nlu_fallback", "confidence": 0.4},
    {"name": "disclosure_abuse", "confidence": 0.2},
    {"name": "consent_changing_mind", "confidence": 0.15},
    {"name": "greet", "confidence": 0.1},
    {"name": "support_scared", "confidence": 0.05},
    {"name": "relationships_jealousy", "confidence": 0.04},
    {"name": "law_16_17", "confidence": 0.03},
    {"name": "help_childline", "confidence": 0.02},
]


def test_an_unsure_message_offers_the_likeliest_topics_with_help_in_view():
    replies, _ = answer("nlu_fallback", "pupil", "14_15", ranking=RANKING)
    text = replies[0].text
    assert text == render_answer("unsure", "pupil_14_15", school())
    assert "0800 1111" in text and "999" not in text and "can't help" not in text
    # topics only, likeliest first, at most three: no disclosure, small talk or support answer
    assert [p for _, p in replies[0].buttons] == ["/consent_changing_mind", "/relationships_jealousy", "/law_16_17"]
    parent, _ = answer("nlu_fallback", "parent", None, ranking=RANKING)
    assert "0808 800 5000" in parent[0].text


LEANING = [
    {"name": "nlu_fallback", "confidence": 0.4},
    {"name": "consent_changing_mind", "confidence": 0.3},
    {"name": "relationships_jealousy", "confidence": 0.1},
    {"name": "greet", "confidence": 0.08},
    {"name": "law_16_17", "confidence": 0.05},
]


def test_an_unsure_message_that_leans_to_one_topic_gets_that_answer_and_the_others_as_buttons():
    replies, _ = answer("nlu_fallback", "pupil", "14_15", ranking=LEANING)
    assert replies[0].text == render_answer("consent_changing_mind", "pupil_14_15", school())
    assert [p for _, p in replies[1].buttons] == ["/relationships_jealousy", "/law_16_17"]
    assert "0800 1111" in replies[1].text and "999" not in replies[1].text
    parent, _ = answer("nlu_fallback", "parent", None, ranking=LEANING)
    assert "0808 800 5000" in parent[-1].text and parent[-1].buttons
    teacher, _ = answer("nlu_fallback", "teacher", None, ranking=LEANING)
    assert school().dsl in teacher[-1].text


def test_a_weak_lean_or_a_lean_to_a_disclosure_still_offers_the_choices():
    weak = [dict(r, confidence=0.19) if r["name"] == "consent_changing_mind" else r for r in LEANING]
    for ranking in (weak, RANKING):
        replies, _ = answer("nlu_fallback", "pupil", "14_15", ranking=ranking)
        assert replies[0].text == render_answer("unsure", "pupil_14_15", school()), ranking


def test_an_unsure_message_with_no_topic_in_sight_gets_the_out_of_scope_reply():
    for ranking in (
        None,
        [],
        [{"name": "greet", "confidence": 0.3}, {"name": "disclosure_grooming", "confidence": 0.2}],
    ):
        replies, _ = answer("nlu_fallback", "pupil", "14_15", ranking=ranking)
        assert replies[0].text == render_answer("out_of_scope", "pupil_14_15", school()), ranking


def test_a_confident_out_of_scope_message_is_not_offered_topics():
    replies, _ = answer("out_of_scope", "pupil", "14_15", ranking=RANKING)
    assert replies[0].text == render_answer("out_of_scope", "pupil_14_15", school())


def test_the_previous_topic_comes_before_the_likeliest_topics():
    replies, _ = answer("nlu_fallback", "pupil", "16_17", previous="law_16_17", ranking=RANKING)
    assert replies[0].text == render_answer("followup_law", "pupil_16_17", school())


def test_an_unsure_message_whose_likeliest_reading_is_off_topic_gets_the_out_of_scope_reply():
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "out_of_scope", "confidence": 0.3}, *RANKING[2:]]
    replies, _ = answer("nlu_fallback", "pupil", "14_15", ranking=ranking)
    assert replies[0].text == render_answer("out_of_scope", "pupil_14_15", school())


def test_a_topic_answer_for_an_adult_always_names_where_to_take_a_worry():
    from bot.answers.content_library import answers

    nspcc, dsl = "0808 800 5000", school().dsl
    for answer_id, entry in answers().items():
        if entry.area not in ("consent", "relationships", "law", "help", "parent", "teacher"):
            continue
        parent, _ = answer(answer_id, "parent", None)
        teacher, _ = answer(answer_id, "teacher", None)
        assert nspcc in parent[0].text or dsl in parent[0].text, answer_id
        assert nspcc in teacher[0].text or dsl in teacher[0].text, answer_id
    pupil, _ = answer("consent_what_is", "pupil", "14_15")
    assert "NSPCC helpline for adults" not in pupil[0].text  # pupils keep their own wording
    # the added lines answer everyday questions: never 999, which would be a false alarm
    assert all("999" not in line for line in system_texts()["adult_route"].values())
    chat, _ = answer("greet", "parent", None)
    assert "NSPCC helpline for adults" not in chat[0].text  # small talk gets no route line


def test_an_unsure_message_naming_an_idea_of_a_likely_topic_gets_that_topic():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "relationships_crush_dating", "confidence": 0.15},
        {"name": "consent_what_is", "confidence": 0.14},
    ]
    message = "is it wrong to kiss ur gf while shes asleep like as a cute surprise"
    replies, _ = answer("nlu_fallback", "pupil", "14_15", ranking=ranking, message=message)
    assert "asleep" in replies[0].text.lower() and "consent" in replies[0].text.lower()
    assert replies[1].buttons and "999" not in replies[0].text
    plain, _ = answer("nlu_fallback", "pupil", "14_15", ranking=ranking, message="is it wrong to do that")
    assert plain[0].buttons  # no idea named: the likeliest topics as buttons


def test_a_named_term_keeps_its_own_topic_when_unsure():
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "help_police", "confidence": 0.3}]
    replies, _ = answer("nlu_fallback", "pupil", "14_15", ranking=ranking, message="samaritans number pls?")
    assert "116 123" in replies[0].text and "999" not in replies[0].text
