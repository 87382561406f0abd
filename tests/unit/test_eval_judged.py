"""The judged-entities metric: precision per group against hand verdicts, unjudged entities reported."""

from __future__ import annotations

from streams.tools.evaluation.judged import JUDGEMENTS, Found, read_judgements, score


def test_precision_per_group_and_correct_per_page() -> None:
    judgements = {
        ("p1", "person:ada-lovelace", "PERSON"): {"verdict": "correct"},
        ("p1", "person:twitter", "PERSON"): {"verdict": "wrong"},
        ("p1", "place:paris", "GPE"): {"verdict": "correct"},
        ("p2", "place:thames", "LOC"): {"verdict": "correct"},
        ("p2", "org:acme", "ORG"): {"verdict": "correct"},
    }
    found = [
        Found("p1", "person:ada-lovelace", "Ada Lovelace", "PERSON", "Ada Lovelace"),
        Found("p1", "person:twitter", "Twitter", "PERSON", "Twitter"),
        Found("p1", "place:paris", "Paris", "GPE", "Paris"),
        Found("p2", "place:thames", "Thames", "LOC", "Thames"),
        # Same id, other type: a new entity nobody has judged yet.
        Found("p2", "org:acme", "Acme", "PRODUCT", "Acme"),
    ]
    result = score(found, judgements)
    assert result["precision"]["PERSON"] == {"correct": 1, "judged": 2, "precision": 0.5}
    assert result["precision"]["places"] == {"correct": 2, "judged": 2, "precision": 1.0}
    assert "ORG" not in result["precision"]
    assert result["correct_per_page"] == 1.5  # 3 correct over the 2 judged pages
    assert result["unjudged"] == [{"page": "p2", "entity_id": "org:acme", "name": "Acme", "type": "PRODUCT"}]


def test_frozen_judgements_read_and_hold_no_page_text() -> None:
    judgements = read_judgements(JUDGEMENTS)
    assert len({page for page, _, _ in judgements}) >= 30
    for row in judgements.values():
        assert row["verdict"] in ("correct", "wrong")
        assert set(row) <= {"page", "entity_id", "name", "type", "verdict", "reason"}
