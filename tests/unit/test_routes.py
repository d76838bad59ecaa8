"""The route engine, case by case: situation x audience x age x nation -> ordered services."""

import pytest

from bot.answers.routes import SITUATIONS, routes


def test_immediate_danger_puts_999_first():
    assert routes("disclosure_immediate_danger", "pupil", 12)[0] == "police_emergency"
    assert routes("disclosure_immediate_danger", "parent")[0] == "police_emergency"
    assert routes("disclosure_immediate_danger", "teacher")[0] == "police_emergency"


def test_sextortion_reports_to_ceop_police_and_report_remove_with_childline():
    r = routes("disclosure_sextortion", "pupil", 15)
    assert r[:2] == ["ceop", "police_101"]
    assert {"report_remove", "childline", "trusted_adult"} <= set(r)


def test_image_shared_starts_with_report_remove_for_under_18s():
    assert routes("disclosure_image_shared", "pupil", 16)[:3] == ["report_remove", "childline", "dsl"]


@pytest.mark.parametrize("situation", ["disclosure_image_shared", "disclosure_sextortion"])
def test_over_18s_get_the_revenge_porn_helpline_instead_of_report_remove(situation):
    r = routes(situation, "pupil", 18)
    assert "revenge_porn_helpline" in r and "report_remove" not in r
    assert {"take_it_down", "police_101"} <= set(r)


@pytest.mark.parametrize("situation", [s for s in SITUATIONS if s != "disclosure_friend"])
def test_ceop_is_only_for_under_18s(situation):
    assert "ceop" not in routes(situation, "pupil", 18)
    assert "report_remove" not in routes(situation, "pupil", 18)


def test_a_friend_may_be_under_18_whatever_the_readers_age():
    for age in (12, 18):
        r = routes("disclosure_friend", "pupil", age)
        assert {"report_remove", "iwf"} <= set(r), age


def test_a_friend_gets_the_iwf_and_report_remove_for_themselves():
    r = routes("disclosure_friend", "pupil", 14)
    assert r.index("report_remove") < r.index("iwf")


def test_childline_is_for_under_19s():
    assert "childline" in routes("disclosure_abuse", "pupil", 18)
    assert "childline" not in routes("disclosure_abuse", "pupil", 19)


def test_adult_asking_for_images_goes_to_ceop_police_and_a_trusted_adult():
    assert routes("disclosure_grooming", "pupil", 13)[:3] == ["ceop", "police_101", "trusted_adult"]


def test_self_harm_gives_samaritans_shout_papyrus_childline_and_999():
    r = routes("disclosure_self_harm", "pupil", 14)
    assert r[:4] == ["samaritans", "shout", "papyrus", "childline"]
    assert "police_emergency" in r


def test_self_harm_for_parents_and_teachers_includes_papyrus():
    assert "papyrus" in routes("disclosure_self_harm", "parent")
    assert "papyrus" in routes("disclosure_self_harm", "teacher")


def test_parents_get_nspcc_ceop_report_remove_and_the_dsl():
    r = routes("disclosure_image_shared", "parent")
    assert r[:4] == ["nspcc", "ceop", "report_remove", "dsl"]
    assert "childline" not in r


@pytest.mark.parametrize("situation", SITUATIONS)
def test_parents_are_never_sent_to_childline(situation):
    assert "childline" not in routes(situation, "parent")
    assert "nspcc" in routes(situation, "parent")


@pytest.mark.parametrize("audience", ["parent", "teacher"])
@pytest.mark.parametrize("situation", ["disclosure_immediate_danger", "disclosure_self_harm", "disclosure_abuse"])
def test_crisis_answers_for_adults_leave_out_routes_that_do_not_fit(audience, situation):
    r = routes(situation, audience)
    assert not {"ceop", "report_remove"} & set(r)
    assert "police_emergency" in r


def test_teachers_go_to_the_dsl_first():
    for situation in SITUATIONS:
        if situation not in ("disclosure_immediate_danger",):
            assert routes(situation, "teacher")[0] == "dsl", situation


def test_unknown_age_is_treated_as_a_child():
    assert "report_remove" in routes("disclosure_image_shared", None, None)


@pytest.mark.parametrize("nation", ["england", "Wales", "scotland", "Northern Ireland", "NI"])
def test_every_situation_has_routes_in_every_nation(nation):
    for situation in SITUATIONS:
        for audience in ("pupil", "parent", "teacher"):
            r = routes(situation, audience, 14, nation)
            assert len(r) >= 3 and len(r) == len(set(r))


@pytest.mark.parametrize("nation", ["england", "wales", "scotland", "northern_ireland", "Northern Ireland"])
@pytest.mark.parametrize("age", [None, 9, 12, 14, 16, 17, 18])
def test_pupils_always_get_childline_in_every_nation(nation, age):
    for situation in SITUATIONS:
        assert "childline" in routes(situation, "pupil", age, nation), situation


def test_childline_and_999_survive_a_service_registry_that_leaves_the_nation_out(monkeypatch):
    from dataclasses import replace

    import bot.answers.routes

    registry = {sid: replace(s, nations=("england",)) for sid, s in bot.answers.routes.services().items()}
    monkeypatch.setattr(bot.answers.routes, "services", lambda: registry)
    for situation in SITUATIONS:
        r = routes(situation, "pupil", 12, "scotland")
        assert "childline" in r, situation
    assert "police_emergency" in routes("disclosure_immediate_danger", "pupil", 12, "scotland")


def test_unknown_situation_or_nation_is_an_error():
    with pytest.raises(ValueError):
        routes("disclosure_made_up")
    with pytest.raises(ValueError, match="nation: 'Narnia'"):
        routes("disclosure_abuse", "pupil", 12, "Narnia")
