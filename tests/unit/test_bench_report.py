"""bench/report.py: only answered turns count, and a run with failed requests claims nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bench import report

HEADER = ["Type", "Name", "Request Count", "Failure Count", "Requests/s", "50%", "95%", "99%"]


def locust_csv(path: Path, answered: int, failed: int, rps: float, p95: float, failed_rps: float = 0) -> Path:
    """A Locust stats CSV as bench/locustfile.py leaves it: the raw row, the outcomes, and the aggregate."""
    rows = [
        ["POST", "turn (raw)", answered + failed, 0, rps + failed_rps, 0 if failed else p95 / 2, p95, p95],
        ["POST", "turn", answered, 0, rps, p95 / 2, p95, p95 * 1.1],
    ]
    if failed:
        rows.append(["POST", "turn failed", failed, failed, failed_rps, 2, 3, 4])
    rows.append(["", "Aggregated", 2 * (answered + failed), failed, 2 * (rps + failed_rps), 1, p95, p95])
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_failed_requests_are_in_their_own_column_and_never_in_the_rate_or_percentiles(tmp_path):
    figures = report.read_locust_csv(locust_csv(tmp_path / "s.csv", 600, 2400, rps=30.0, p95=320, failed_rps=120))
    assert figures["rps"] == 30.0  # not the 150/s that counting the 429s would give
    assert figures["p95_ms"] == 320 and figures["p50_ms"] == 160  # not a p50 of 0 ms from fast refusals
    assert figures["errors"] == 2400 and figures["answered"] == 600 and figures["requests"] == 3000
    assert not report.valid(figures)


def test_a_level_where_nothing_was_answered_is_invalid(tmp_path):
    path = tmp_path / "s.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows([HEADER, ["POST", "turn failed", 50, 50, 10, 1, 2, 3]])
    figures = report.read_locust_csv(path)
    assert figures["rps"] == 0 and figures["p95_ms"] is None and not report.valid(figures)


def _results(tmp_path, scaled_failures: int) -> dict:
    def level(answered, failed, rps, p95):
        return report.read_locust_csv(
            locust_csv(tmp_path / f"{answered}-{failed}-{rps}.csv", answered, failed, rps, p95, failed_rps=failed / 20)
        )

    variant = lambda label, turn, ready: {  # noqa: E731
        "label": label,
        "turn": turn,
        "ready_s": ready,
        "peak_rss_mb": 1000,
        "nlu_macro_f1": 0.9,
    }
    return {
        "machine": "2 cores",
        "seconds_per_level": 20,
        "variants": {
            "baseline": variant("stock", {"1": level(380, 0, 19, 70), "32": level(400, 0, 20, 1800)}, 78),
            "ours_1": variant("ours 1", {"1": level(600, 0, 30, 40), "32": level(700, 0, 35, 1000)}, 17),
            "ours": variant(
                "ours scaled", {"1": level(500, 0, 25, 47), "32": level(1400, scaled_failures, 70, 500)}, 28
            ),
        },
    }


def test_a_run_with_failures_at_the_compared_level_claims_no_target(tmp_path):
    results = _results(tmp_path, scaled_failures=685)
    assert report.invalid_compared(results) == ["ours"]
    assert report.comparison(results, "ours") is None
    text = report.markdown(results)
    assert "met" not in text.replace("not met", "")  # no target is claimed met
    assert "no claim" in text and "**no: invalid**" in text
    # The like-for-like comparison is still made: both of its levels are valid.
    assert "×1.75" in text and "×0.56" in text


def test_a_clean_run_names_both_comparisons_and_the_machine_speed(tmp_path):
    results = _results(tmp_path, scaled_failures=0)
    assert report.invalid_compared(results) == []
    text = report.markdown(results)
    assert "One process against one process" in text and "Our scaled deployment" in text
    assert "baseline answers one conversation at **19.0 replies/s**" in text
    ratios = report.comparison(results, "ours")
    assert ratios["throughput"] == pytest.approx(3.5) and ratios["p95"] == pytest.approx(500 / 1800)
    assert report.verdicts(ratios) == {"compass": True, "floor": True}
    assert "Compass target (≥ ×3, ≤ ×0.33, ≤ ×0.5): **met**" in text


def test_the_plot_marks_invalid_levels(tmp_path):
    pytest.importorskip("matplotlib")
    report.plot(_results(tmp_path, scaled_failures=3), tmp_path / "bench.png")
    assert (tmp_path / "bench.png").stat().st_size > 1000
