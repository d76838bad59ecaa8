"""The calibration tool's arithmetic: disclosure mass, and which messages a threshold flags."""

from bot.nlu.calibrate import THRESHOLDS, disclosure_mass, scores


def test_mass_counts_only_when_a_disclosure_is_ranked_first_past_the_fallback():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "disclosure_abuse", "confidence": 0.3},
        {"name": "disclosure_grooming", "confidence": 0.2},
        {"name": "consent_what_is", "confidence": 0.1},
    ]
    assert abs(disclosure_mass(ranking) - 0.5) < 1e-9
    assert disclosure_mass([{"name": "consent_what_is", "confidence": 0.6}, *ranking[1:]]) == 0.0
    assert disclosure_mass(None) == 0.0


def test_patterns_always_flag_frames_never_and_diet_only_when_asked():
    messages = [
        {"safeguarding": {"detector": "patterns"}, "intent_ranking": []},
        {
            "safeguarding": {"frame": "lesson_about"},
            "intent_ranking": [{"name": "disclosure_abuse", "confidence": 0.9}],
        },
        {
            "intent_ranking": [{"name": "greet", "confidence": 0.9}],
            "diet_intent_ranking": [{"name": "disclosure_abuse", "confidence": 0.55}],
        },
        {"intent_ranking": [{"name": "disclosure_friend", "confidence": 0.45}]},
    ]
    without, with_diet = scores(messages, diet_path=False), scores(messages, diet_path=True)
    assert without[0.4] == [True, False, False, True]
    assert with_diet[0.4] == [True, False, True, True]
    assert with_diet[0.6] == [True, False, False, False]
    assert set(without) == set(THRESHOLDS)


def test_an_opener_ranked_first_is_looked_past_and_a_question_is_not():
    """'i havent told anyone' reads as an opener; with a disclosure close behind, it is someone telling."""
    from types import SimpleNamespace

    from bot.nlu.components import SafeguardingDetector

    telling = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "support_opener", "confidence": 0.47},
        {"name": "disclosure_abuse", "confidence": 0.44},
        {"name": "disclosure_pressure_images", "confidence": 0.04},
    ]
    asking = [{"name": "abuse_what_is", "confidence": 0.47}, *telling[2:]]
    detector = SimpleNamespace(_config={"min_disclosure_mass": 0.4})
    assert abs(disclosure_mass(telling) - 0.48) < 1e-9
    assert SafeguardingDetector._disclosure_in(detector, telling) == "disclosure_abuse"
    assert disclosure_mass(asking) == 0.0
    assert SafeguardingDetector._disclosure_in(detector, asking) is None
