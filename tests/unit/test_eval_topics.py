"""Topic evaluation: metric arithmetic and the unseen-only rule, on made-up data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.enrichment.iptc import train
from streams.settings import Settings
from streams.tools.evaluation import topics


def test_scores_on_made_up_predictions() -> None:
    gold = ["politics", "politics", "sport", "tech"]
    predicted = ["politics", "sport", "sport", "medtop:16000000"]
    result = topics.scores(gold, predicted)
    assert result["accuracy"] == pytest.approx(0.5)
    per = result["per_class"]
    assert per["politics"] == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2})
    assert per["sport"]["precision"] == pytest.approx(0.5)
    assert per["sport"]["f1"] == pytest.approx(2 / 3)
    assert per["tech"]["f1"] == 0.0
    # An off-vocabulary code is wrong, and is not a class of its own in the macro average.
    assert "medtop:16000000" not in per
    assert result["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 0.0) / 3)


def test_scores_perfect_and_length_mismatch() -> None:
    assert topics.scores(["sport", "tech"], ["sport", "tech"])["macro_f1"] == 1.0
    with pytest.raises(ValueError):
        topics.scores(["sport"], [])


def test_evaluate_scores_only_articles_the_model_never_saw(tmp_path: Path) -> None:
    articles = [
        ("politics/1", "politics", "Minister wins vote", "The government won the vote in parliament."),
        ("sport/1", "sport", "Club wins cup", "The striker scored as the team won the cup final."),
        ("politics/2", "politics", "Election called", "The prime minister called an election for May."),
        ("sport/2", "sport", "Late goal", "A late goal gave the football club the league title."),
    ]
    root = tmp_path / "eval"
    (root / "topics").mkdir(parents=True)
    (root / "topics" / "bbc.jsonl").write_text(
        "".join(
            json.dumps({"id": i, "category": c, "headline": h, "body": b}) + "\n" for i, c, h, b in articles
        )
    )
    codes = {"politics": "medtop:11000000", "sport": "medtop:15000000"}
    data = tmp_path / "train.jsonl"
    data.write_text(
        "".join(
            json.dumps({"text": f"{h}\n\n{b}", "topics": [codes[c]]}) + "\n" for _, c, h, b in articles[:2]
        )
    )
    model = train(data, tmp_path / "model", epochs=10)
    result = topics.evaluate(root, Settings(topic_model=str(model)))
    assert (result["articles"], result["seen_in_training"], result["unseen"], result["n"]) == (4, 2, 2, 2)
    report = topics.report(result)
    assert "2 unseen of 4 articles" in report
    assert "macro-F1" in report


def test_topics17_scores_on_made_up_predictions() -> None:
    from streams.tools.evaluation import topics17

    sport, economy, politics, crime = (
        "medtop:15000000",
        "medtop:04000000",
        "medtop:11000000",
        "medtop:02000000",
    )
    gold = [sport, sport, economy, economy, politics, crime]
    predicted = [sport, economy, economy, politics, politics, politics]
    secondary = [[], [], [], [politics], [], []]
    result = topics17.scores(gold, predicted, secondary)
    assert result["accuracy"] == pytest.approx(3 / 6)
    # Without the two sport documents: economy right once, politics right, crime wrong.
    assert result["accuracy_without_sport"] == pytest.approx(2 / 4)
    assert result["n_without_sport"] == 4
    # The fourth document's first topic is one of its secondary codes.
    assert result["lenient_accuracy"] == pytest.approx(4 / 6)
    per = result["per_code"]
    assert per[sport] == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2})
    assert per[economy]["f1"] == pytest.approx(0.5)  # P 1/2, R 1/2
    assert per[politics]["f1"] == pytest.approx(0.5)  # P 1/3, R 1
    assert per[crime]["f1"] == 0.0
    assert result["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 0.5 + 0.0) / 4)
    assert result["macro_f1_min5"] == 0.0  # no code has five documents here
    assert result["never_emitted"] == [crime]
    with pytest.raises(ValueError):
        topics17.scores([sport], [])


def test_topics17_raw_message_is_a_plain_text_article_of_its_own_source() -> None:
    import orjson

    from streams.cleaning.raw import parse_raw
    from streams.tools.evaluation import topics17

    item = {"id": "conll-dev-1", "headline": "SOCCER - LATE GOAL", "body": "LONDON 1996-08-30\nA late goal."}
    raw = parse_raw(topics17.raw_message(item), max_body_bytes=10_000)
    assert (raw.headline, raw.body, raw.content_type) == (item["headline"], item["body"], "text/plain")
    assert raw.source.endswith(item["id"])
    assert topics17.document_text(item) == "SOCCER - LATE GOAL\n\nLONDON 1996-08-30\nA late goal."
    assert topics17.document_text({"headline": "", "body": "x"}) == "x"
    assert "headline" not in orjson.loads(topics17.raw_message({**item, "headline": ""}))
