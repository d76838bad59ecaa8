"""Every answer a pupil can get, rendered for every nation and age band (issue 21, "Done when").

A pupil is never told to delete an image they were sent (UKCIS: the DSL decides), and every safety answer
for a pupil names Childline (0800 1111) and 999, whatever the school profile says.
"""

import re

import pytest

from bot.answers.answering import answer, system_texts
from bot.answers.content_library import School, answers, render_text, services
from bot.answers.nations import nations
from bot.answers.routes import SITUATIONS
from bot.answers.safety import bands_for_pupils, check_pupil_answer, render, render_media

# The nation keys, and the spellings a school might type into its profile.
NATIONS = [*nations(), "Northern Ireland", "NI", "Scotland", "Cymru"]
BANDS = bands_for_pupils()  # None (age unknown), u10, 11_13, 14_15, 16_17, 18plus
PROFILES = [School(nation=n) for n in NATIONS] + [School(default_band=b) for b in ("u10", "14_15", "16_17")]
CHILDLINE = services()["childline"].phone
EMERGENCY = services()["police_emergency"].phone
_CLAUSE = re.compile(r"[.;:!?,\n]")
_NOT = re.compile(r"\b(don'?t|do not|never|not|avoid|instead of)\b|n't\b", re.I)


def tells_to_delete(text: str) -> str | None:
    """The clause that tells the reader to delete something, if any ("don't delete it yet" is fine)."""
    for clause in _CLAUSE.split(text):
        if re.search(r"\bdelete\b", clause, re.I) and not _NOT.search(clause):
            return clause.strip()
    return None


def _pupil_texts(profile: School):
    for band in BANDS:
        for intent in answers():
            replies, _ = answer(intent, "pupil", band, audience_asked=True, profile=profile)
            yield f"{intent} {band}", replies[0].text
        for situation in SITUATIONS:
            yield f"{situation} {band}", render(situation, "pupil", band, profile)
    yield "media", render_media("pupil", profile)
    for key, text in system_texts().items():
        if isinstance(text, str):
            yield f"system {key}", render_text(text, profile)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: f"{p.nation}-{p.default_band}")
def test_no_pupil_answer_says_to_delete_a_received_image(profile):
    found = {where: clause for where, text in _pupil_texts(profile) if (clause := tells_to_delete(text))}
    assert found == {}


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: f"{p.nation}-{p.default_band}")
def test_every_pupil_safety_answer_has_childline_and_999(profile):
    for band in BANDS:
        for situation in SITUATIONS:
            text = render(situation, "pupil", band, profile)
            assert CHILDLINE in text and re.search(rf"(?<!\d){EMERGENCY}(?!\d)", text), (situation, band)


def test_the_delete_check_catches_the_old_wording():
    old = "If someone sends you a nude, don't open it again. Tell a trusted adult, and delete it."
    assert tells_to_delete(old) == "and delete it"
    assert tells_to_delete("don't forward or show it to anyone, delete it, and tell an adult you trust") == "delete it"
    assert tells_to_delete("Stop replying and block them, but don't delete the messages.") is None
    assert tells_to_delete("Don't delete it yet. Quick exit deletes this chat.") is None


def test_a_pupil_safety_answer_without_childline_or_999_is_refused():
    with pytest.raises(ValueError, match="Childline"):
        check_pupil_answer("Call 999 now.", 14, "test")
    with pytest.raises(ValueError, match="999"):
        check_pupil_answer(f"Childline: {CHILDLINE}.", 14, "test")
    check_pupil_answer(f"Childline: {CHILDLINE}. Call 999.", 14, "test")
