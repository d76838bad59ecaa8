"""A teacher's lesson over the REST channel: a whole KS3 quiz round, a disclosure typed mid-quiz, and resuming."""

import re
import uuid

from tests.conftest import reply_text

TEACHER = {"audience": "teacher"}


def buttons(messages):
    return {b["title"]: b["payload"] for m in messages for b in m.get("buttons") or []}


def test_a_whole_ks3_quiz_round_with_a_disclosure_in_the_middle(say):
    sender = uuid.uuid4().hex
    messages = say("start a myth or fact quiz for year 8", sender, TEACHER)
    first = reply_text(messages)
    total = int(re.search(r"Question 1 of (\d+)", first).group(1))
    assert 5 <= total <= 10 and "KS3" in first

    messages = say(buttons(messages)["Myth"], sender)
    assert re.search(r"Correct|Not quite", reply_text(messages))
    assert "Question 2 of" in reply_text(messages)

    # a pupil types on the class screen: safety wins, calmly, with no details asked for
    safety = reply_text(say("my nudes are being passed round my year", sender))
    assert "0800 1111" in safety and "DSL" in safety and "safeguarding procedure" in safety
    assert "Question" not in safety

    # the quiz carries on where it was
    messages = say("fact", sender)
    assert "Question 3 of" in reply_text(messages)
    for _ in range(total - 2):
        last = messages
        messages = say(buttons(messages).get("Fact") or "fact", sender)
    assert re.search(rf"You scored \d+ out of {total}", reply_text(messages)), reply_text(last)


def test_starter_rshe_and_incident_guidance_in_a_teachers_voice(say):
    sender = uuid.uuid4().hex
    starter = reply_text(say("I need an activity for year 8 on verbal and non-verbal consent", sender, TEACHER))
    assert re.search(r"verbal|body language", starter, re.I)
    rshe = reply_text(say("which RSHE outcomes does this cover", sender))
    assert "RSHE" in rshe
    guidance = reply_text(say("what should I do if a pupil shows me a nude on their phone", uuid.uuid4().hex, TEACHER))
    assert "DSL" in guidance and re.search(r"never view|do not look", guidance, re.I)
