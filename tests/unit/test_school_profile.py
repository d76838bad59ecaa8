"""The school profile is checked on load (issue 21, error 7): one normaliser for nation names, unknown values
refused with the field and the allowed values, the nation's title for the DSL, and the school's default band."""

import re
from pathlib import Path

import pytest

from bot.answers import domain
from bot.answers.answering import answer
from bot.answers.content_library import ProfileError, School, answers, profile_from, render_answer, school
from bot.answers.nations import nation_key
from bot.answers.routes import SITUATIONS
from bot.answers.safety import render

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "written,key",
    [
        ("Northern Ireland", "northern_ireland"),
        ("northern_ireland", "northern_ireland"),
        ("northern-ireland", "northern_ireland"),
        ("N. Ireland", "northern_ireland"),
        ("NI", "northern_ireland"),
        (" Scotland ", "scotland"),
        ("SCOTLAND", "scotland"),
        ("Cymru", "wales"),
        ("Welsh", "wales"),
        ("England", "england"),
        ("", "england"),
        (None, "england"),
    ],
)
def test_one_normaliser_reads_every_spelling_of_a_nation(written, key):
    assert nation_key(written) == key
    assert profile_from({"nation": written}).nation == key
    assert School(nation=written or "england").nation == key


@pytest.mark.parametrize("written", ["Narnia", "UK", "Britain", "Ireland", "N"])
def test_an_unknown_nation_is_refused_naming_the_field_and_the_allowed_values(written):
    with pytest.raises(ValueError) as e:
        profile_from({"nation": written})
    assert re.search(r"^nation: .* use one of england, wales, scotland, northern_ireland", str(e.value))


def test_the_loaded_profile_names_its_file_in_the_error(tmp_path):
    path = tmp_path / "school.yml"
    path.write_text("school_name: Hilltop\nnation: Atlantis\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=rf"school profile {re.escape(str(path))}: nation: 'Atlantis'"):
        school(str(path))


@pytest.mark.parametrize(
    "raw,field",
    [
        ({"nations": "scotland"}, "unknown field 'nations'; the fields are: default_band, dsl, nation"),
        ({"dsl": {"titel": "x"}}, "dsl: unknown field 'titel'; the fields are: contact, name, title"),
        ({"default_band": "year 6"}, "default_band: 'year 6' is not a pupil age band; use one of u10"),
        ({"default_band": 1113}, 'write it in quotes: "11_13"'),
        ({"retention_days": "soon"}, "retention_days: 'soon'"),
    ],
)
def test_other_bad_values_are_refused_naming_the_field(raw, field):
    with pytest.raises(ValueError, match=re.escape(field)):
        profile_from(raw)


def test_the_shipped_profile_loads():
    profile = school()
    assert profile.nation == "england" and profile.default_band == "11_13"


@pytest.mark.parametrize(
    "nation,title",
    [
        ("england", "designated safeguarding lead (DSL)"),
        ("wales", "designated safeguarding person (DSP)"),
        ("scotland", "child protection coordinator"),
        ("Northern Ireland", "designated teacher for child protection"),
    ],
)
def test_each_nation_gets_its_own_title_for_the_safeguarding_lead(nation, title):
    profile = School(nation=nation)
    assert profile.dsl == f"your school's {title}"
    assert f"your school's {title}" in render("disclosure_image_shared", "pupil", "14_15", profile)
    assert School(nation=nation, dsl_title="head of pastoral care").dsl == "your school's head of pastoral care"
    named = School(nation=nation, dsl_name="Ms Patel")
    assert named.dsl == f"Ms Patel, the {title}"


@pytest.mark.parametrize("nation", ["Northern Ireland", "northern ireland", "Scotland", "Wales", "NI"])
def test_a_profile_written_in_words_keeps_childline_and_999_in_the_domain(nation):
    responses = domain.build(profile_from({"nation": nation}))["responses"]
    for situation in SITUATIONS:
        for variant in responses[f"utter_{situation}"]:
            slots = {c["name"]: c["value"] for c in variant.get("condition", [])}
            if slots.get("audience") in ("parent", "teacher"):
                continue
            assert "0800 1111" in variant["text"] and "999" in variant["text"], (situation, slots)


@pytest.mark.parametrize("band", ["u10", "14_15", "16_17"])
def test_the_profile_sets_the_band_for_a_pupil_of_unknown_age(band):
    profile = School(default_band=band)
    replies, _ = answer("consent_what_is", "pupil", None, audience_asked=True, profile=profile)
    assert replies[0].text == render_answer("consent_what_is", f"pupil_{band}", profile)
    for situation in SITUATIONS:
        assert render(situation, "pupil", None, profile) == render(situation, "pupil", band, profile)


def test_without_a_default_band_an_unknown_age_reads_as_11_to_13():
    replies, _ = answer("consent_what_is", "pupil", None, audience_asked=True, profile=School())
    assert replies[0].text == render_answer("consent_what_is", "pupil_11_13", School())
    assert set(answers()["consent_what_is"].variants) >= {"pupil_u10", "pupil_11_13"}


def test_the_makefile_rebuilds_the_domain_when_the_school_profile_changes():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    rule = next(line for line in makefile.splitlines() if line.startswith("domain.yml data/rules/answers.yml &:"))
    assert "$(SCHOOL_PROFILE)" in rule.split(":", 1)[1]
