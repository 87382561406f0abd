"""The PolNeAR quote metric's arithmetic on tiny made-up articles."""

from __future__ import annotations

from typing import Any

from streams.tools.evaluation.quotes import (
    Predicted,
    align,
    baseline,
    clean_article,
    name_tokens,
    report,
    score_article,
)

TEXT = 'Intro words here. "Alpha beta gamma delta epsilon," Mr. Smith said. Other words follow here.'


def _gold(
    content: str, *, direct: bool = True, source: str | None = "Mr. Smith", cue: str = "said"
) -> dict[str, Any]:
    start = TEXT.index(content)
    q: dict[str, Any] = {
        "content": content,
        "content_start": start,
        "content_end": start + len(content),
        "direct": direct,
        "source": source,
        "source_start": TEXT.index(source) if source else None,
        "source_end": TEXT.index(source) + len(source) if source else None,
        "cue": cue,
        "cue_start": TEXT.index(cue),
        "cue_end": TEXT.index(cue) + len(cue),
    }
    return q


def _span(text: str, speaker: str | None = None, cue: str | None = "said") -> Predicted:
    start = TEXT.index(text)
    return Predicted(start, start + len(text), speaker, cue)


def test_exact_prediction_is_correct_found_and_speaker_right() -> None:
    gold = [_gold('"Alpha beta gamma delta epsilon,"')]
    counts = score_article(TEXT, gold, [_span("Alpha beta gamma delta epsilon", "John Smith")])["counts"]
    assert (counts["predicted"], counts["correct"], counts["gold"], counts["found"]) == (1, 1, 1, 1)
    assert (counts["speaker_gold"], counts["speaker_correct"]) == (1, 1)


def test_eighty_percent_thresholds() -> None:
    gold = [_gold('"Alpha beta gamma delta epsilon,"')]
    # 4 of 5 gold tokens covered: found; a prediction with 4 of 5 tokens inside gold: correct.
    counts = score_article(TEXT, gold, [_span("Alpha beta gamma delta")])["counts"]
    assert (counts["found"], counts["correct"]) == (1, 1)
    # 3 of 5: not found.
    counts = score_article(TEXT, gold, [_span("Alpha beta gamma")])["counts"]
    assert counts["found"] == 0
    # Prediction of 4 tokens with 3 inside gold (75%): not correct.
    wide = Predicted(TEXT.index("delta"), TEXT.index("said") + 4)
    counts = score_article(TEXT, gold, [wide])["counts"]
    assert counts["correct"] == 0


def test_indirect_gold_counts_for_precision_not_recall() -> None:
    gold = [_gold("Other words follow here", direct=False)]
    counts = score_article(TEXT, gold, [_span("Other words follow here")])["counts"]
    assert (counts["correct"], counts["gold"]) == (1, 0)


def test_source_and_cue_tokens_are_excluded_from_recall() -> None:
    content = '"Alpha beta gamma delta epsilon," Mr. Smith said'
    gold = [_gold(content)]
    counts = score_article(TEXT, gold, [_span("Alpha beta gamma delta epsilon")])["counts"]
    assert counts["found"] == 1


def test_several_predictions_together_cover_a_gold_quote() -> None:
    gold = [_gold('"Alpha beta gamma delta epsilon,"')]
    counts = score_article(TEXT, gold, [_span("Alpha beta"), _span("gamma delta epsilon")])["counts"]
    assert counts["found"] == 1 and counts["predicted"] == 2


def test_speaker_needs_a_shared_capitalised_name_token() -> None:
    gold = [_gold('"Alpha beta gamma delta epsilon,"')]
    wrong = score_article(TEXT, gold, [_span("Alpha beta gamma delta epsilon", "Jane Doe")])
    assert wrong["counts"]["speaker_correct"] == 0
    assert wrong["misses"]["speaker: wrong entity"] == 1
    pronoun = score_article(TEXT, [_gold('"Alpha beta gamma delta epsilon,"', source="Intro")], [])
    assert pronoun["counts"]["speaker_gold"] == 0  # not found, so not scored for speaker
    assert name_tokens("he") == set() and name_tokens("The spokesman") == set()
    assert name_tokens("Mr. Smith") == {"Mr", "Smith"}


def test_empty_gold_spans_are_set_aside() -> None:
    q = _gold('"Alpha beta gamma delta epsilon,"')
    q["content_end"] = q["content_start"] - 1
    counts = score_article(TEXT, [q], [])["counts"]
    assert (counts["gold"], counts["gold_empty"]) == (0, 1)


def test_align_ignores_whitespace_differences() -> None:
    original = "A  line\u00a0here\n\nand\nmore"
    parsed = "A line here\n\nand more"
    mapping = align(original, parsed)
    assert original[mapping[parsed.index("here")]] == "h"
    assert original[mapping[parsed.index("more")] :].startswith("more")


def test_clean_article_splits_paragraphs_like_the_clean_stage() -> None:
    article = clean_article({"id": 1, "text": "One line\nwraps here.\n\nSecond paragraph."})
    assert article.paragraphs == ["One line wraps here.", "Second paragraph."]
    assert article.headline is None


def test_baseline_finds_double_quotes_only() -> None:
    text = "He said \u201cyes\u201d and \"no\" but 'maybe'."
    assert [text[p.start : p.end] for p in baseline(text)] == ["yes", "no"]


def test_report_lists_figures_and_misses() -> None:
    row = {"precision": 1.0, "recall": 0.5, "f1": 0.667, "speaker_accuracy": 1.0, "predicted": 1, "gold": 2}
    result = {
        "articles": 1,
        "entity_stage": "x",
        "pipeline": row,
        "baseline": row,
        "top_misses": [("recall: quote never closed", 1)],
        "seconds": 0.1,
    }
    text = report(result)
    assert "pipeline" in text and "baseline" in text and "quote never closed" in text
