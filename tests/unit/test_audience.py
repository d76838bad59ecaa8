"""Audience and age band parsing."""

import pytest

from bot.answers.audience import age_band, band_key, parse_age, parse_audience, pick_variant, variant_key


@pytest.mark.parametrize(
    "age,band", [(9, "u10"), (10, "u10"), (11, "11_13"), (13, "11_13"), (14, "14_15"), (17, "16_17"), (18, "18plus")]
)
def test_bands(age, band):
    assert age_band(age) == band


def test_unknown_age_reads_as_11_to_13():
    assert age_band(None) == "11_13"
    assert variant_key("pupil", None) == "pupil_11_13"
    assert variant_key(None, None) == "pupil_11_13"


@pytest.mark.parametrize(
    "value,age",
    [(13, 13), ("13", 13), ("i'm 12", 12), (13.0, 13), (True, None), ("x", None), (300, None), (None, None)],
)
def test_parse_age(value, age):
    assert parse_age(value) == age


def test_audiences():
    assert parse_audience(" Parent ") == "parent"
    assert parse_audience("admin") is None
    assert parse_audience(5) is None
    assert variant_key("teacher", "u10") == "teacher"


def test_18_and_over_has_its_own_variant_and_falls_back_to_16_17():
    assert variant_key("pupil", "18plus") == "pupil_18plus"
    assert pick_variant({"pupil_16_17": "a", "pupil_11_13": "b"}, "pupil_18plus") == "a"
    assert pick_variant({"pupil_16_17": "a", "pupil_18plus": "c", "pupil_11_13": "b"}, "pupil_18plus") == "c"


def test_an_unknown_age_reads_the_schools_default_band():
    assert variant_key("pupil", None, "u10") == "pupil_u10"
    assert variant_key(None, None, "16_17") == "pupil_16_17"
    assert variant_key("pupil", "14_15", "u10") == "pupil_14_15"


@pytest.mark.parametrize("value,band", [("u10", "u10"), ("11-13", "11_13"), (" 14_15 ", "14_15"), ("U10", "u10")])
def test_band_key(value, band):
    assert band_key(value) == band


@pytest.mark.parametrize("value", ["18plus", "year 6", "", 1113])
def test_band_key_refuses_other_values_naming_the_field(value):
    with pytest.raises(ValueError, match=r"default_band: .* use one of u10, 11_13, 14_15, 16_17"):
        band_key(value)
