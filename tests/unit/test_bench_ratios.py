"""The bench's ratios: each pipeline phase against the references run right before and after it."""

from __future__ import annotations

import pytest

from streams.tools.bench import ratios, reference_runs


def _refs(*rates: float) -> list[dict[str, float]]:
    return [{"articles_per_s": r} for r in rates]


def test_a_phase_is_set_against_the_references_around_it() -> None:
    # The machine slowed down from 12 to 10 articles/s over the run: one worker ran between 12 and 11,
    # two workers between 11 and 10.
    got = ratios(_refs(12.0, 11.0, 10.0), one=9.2, two=14.7)

    assert got["one_worker_vs_reference"] == pytest.approx(9.2 / 11.5, abs=1e-3)
    assert got["one_worker_vs_first_reference"] == pytest.approx(9.2 / 12.0, abs=1e-3)
    assert got["two_workers_vs_one"] == pytest.approx(14.7 / 9.2, abs=1e-3)
    # Two workers ran on a slower machine than one did: corrected, their ratio is higher.
    assert got["two_workers_vs_one_drift_corrected"] == pytest.approx((14.7 / 10.5) / (9.2 / 11.5), abs=1e-3)
    assert got["two_workers_vs_one_drift_corrected"] > got["two_workers_vs_one"]


def test_without_drift_the_corrected_ratio_is_the_plain_one() -> None:
    got = ratios(_refs(12.0, 12.0, 12.0), one=9.0, two=15.0)

    assert (
        got["two_workers_vs_one_drift_corrected"]
        == got["two_workers_vs_one"]
        == pytest.approx(15 / 9, abs=1e-3)
    )
    assert got["one_worker_vs_reference"] == got["one_worker_vs_first_reference"] == 0.75


def test_reference_runs_report_their_spread() -> None:
    assert reference_runs(_refs(12.0, 10.0, 11.0)) == {
        "articles_per_s": [12.0, 10.0, 11.0],
        "max_over_min": 1.2,
    }
