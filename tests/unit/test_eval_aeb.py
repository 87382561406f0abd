"""The aeb metric on hand-made strings (shingle arithmetic) and the evaluation over a tiny synthetic folder."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import orjson
import pytest

from streams.settings import Settings
from streams.tools.evaluation import aeb


def test_shingles_are_four_token_multisets() -> None:
    assert aeb.shingles("a b c d e") == Counter({("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1})
    assert aeb.shingles("x x x x x") == Counter({("x", "x", "x", "x"): 2})
    assert aeb.shingles("Hello, world!") == Counter({("Hello", "world"): 1})  # 1-3 tokens: one shingle
    assert aeb.shingles("  ... ") == Counter()
    assert aeb.shingles("Case Kept") != aeb.shingles("case kept")


def test_page_scores_use_multiset_intersection() -> None:
    # pred shingles: abcd, bcde, cdef (3); gold: abcd, bcde (2); common 2.
    p, r = aeb.page_scores("a b c d e f", "a b c d e")
    assert (p, r) == (pytest.approx(2 / 3), 1.0)
    # A repeated shingle counts as often as both sides have it: pred 2, gold 1, common 1.
    assert aeb.page_scores("x x x x x", "x x x x") == (0.5, 1.0)
    assert aeb.page_scores("", "a b c d") == (None, 0.0)
    assert aeb.page_scores("a b c d", "") == (0.0, None)


def test_aggregate_means_skip_empty_sides() -> None:
    result = aeb.aggregate([("a b c d e f", "a b c d e"), ("", "p q r s"), ("k l m n", "")])
    # precision over non-empty predictions: (2/3 + 0) / 2; recall over non-empty golds: (1 + 0) / 2
    assert result["precision"] == pytest.approx(1 / 3)
    assert result["recall"] == pytest.approx(0.5)
    assert result["f1"] == pytest.approx(2 * (1 / 3) * 0.5 / (1 / 3 + 0.5))
    assert aeb.aggregate([])["f1"] == 0.0


BODY = [
    "The river festival returned to the old town on Saturday, drawing thousands of visitors to the quays "
    "for music, food stalls and a parade of boats decorated by local schools.",
    "Organisers said attendance was the highest since the festival began, and that the money raised would "
    "go to the lifeboat station and a new community garden by the water.",
]


def test_evaluate_and_report_on_a_synthetic_folder(tmp_path: Path) -> None:
    pages = tmp_path / "aeb" / "pages"
    pages.mkdir(parents=True)
    html = (
        "<html><head><title>River festival returns</title></head><body><nav>Home | News | Weather</nav>"
        f"<article><h1>River festival returns</h1><p>{BODY[0]}</p><p>{BODY[1]}</p>"
        "<p>Sign up to our newsletter for the latest news.</p></article></body></html>"
    )
    (pages / "p1.html.gz").write_bytes(gzip.compress(html.encode()))
    truth = {"id": "p1", "url": "https://example.com/festival", "articleBody": "\n\n".join(BODY)}
    (tmp_path / "aeb" / "ground-truth.jsonl").write_bytes(orjson.dumps(truth) + b"\n")

    result = aeb.evaluate(tmp_path, Settings())
    assert result["pages"] == 1
    assert result["project"]["precision"] == pytest.approx(1.0)
    assert result["project"]["recall"] == pytest.approx(1.0)
    assert 0.0 < result["trafilatura"]["f1"] <= 1.0
    text = aeb.report(result)
    assert "project" in text and "trafilatura" in text and "F1" in text
