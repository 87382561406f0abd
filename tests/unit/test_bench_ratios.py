"""The bench's ratios: each pipeline phase against its own reference's runs right before and after it."""

from __future__ import annotations

import pytest

from streams.tools.bench import latency_sample, ratios, reference_runs


def _refs(*rates: float) -> list[dict[str, float]]:
    return [{"articles_per_s": r} for r in rates]


def test_each_phase_is_set_against_its_reference_around_it() -> None:
    # The machine slowed down over the run: one process from 12 to 10 articles/s, all cores from 23 to 19.
    # One worker ran between the first two references, the machine phase between the last two.
    got = ratios(_refs(12.0, 11.0, 10.0), _refs(23.0, 21.0, 19.0), one=9.2, machine=14.7)

    assert got["one_worker_vs_one_process"] == pytest.approx(9.2 / 11.5, abs=1e-3)
    assert got["machine_vs_all_cores"] == pytest.approx(14.7 / 20.0, abs=1e-3)
    assert got["all_cores_vs_one_process"] == pytest.approx(22.0 / 11.5, abs=1e-3)


def test_without_drift_a_ratio_is_the_plain_one() -> None:
    got = ratios(_refs(12.0, 12.0, 12.0), _refs(20.0, 20.0, 20.0), one=9.0, machine=15.0)

    assert got["one_worker_vs_one_process"] == 0.75
    assert got["machine_vs_all_cores"] == 0.75


def test_reference_runs_report_their_spread() -> None:
    assert reference_runs(_refs(12.0, 10.0, 11.0)) == {
        "articles_per_s": [12.0, 10.0, 11.0],
        "max_over_min": 1.2,
    }


def test_the_latency_sample_holds_the_longest_articles_wherever_they_are() -> None:
    corpus = [b"x" * 10 for _ in range(20)]
    corpus[3] = b"x" * 500  # long, inside the first ten
    corpus[15] = b"x" * 900  # the longest, after them
    sample = latency_sample(corpus, size=10)

    assert len(sample) == 10
    assert sample[:9] == corpus[:9]
    assert sample[3] == b"x" * 500
    assert sample[9] == b"x" * 900


def test_a_short_corpus_is_its_own_sample() -> None:
    corpus = [b"a", b"bbb", b"cc"]
    assert latency_sample(corpus, size=10) == corpus
