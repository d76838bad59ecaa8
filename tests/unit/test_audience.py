"""Audience and age band parsing."""

import pytest

from bot.audience import age_band, parse_age, parse_audience, variant_key


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
    assert variant_key("pupil", "18plus") == "pupil_16_17"
