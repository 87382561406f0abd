"""The enrich stage over a batch: one article it cannot take is refused with a reason, the rest go on."""

from __future__ import annotations

from typing import Any

import orjson

from streams.cleaning.stage import State, clean_stage, intake
from streams.enrichment.enrich import Enriched, Enricher
from streams.enrichment.iptc import TopicClassifier
from streams.events.errors import Reason, Rejected
from streams.events.records import CleanArticle
from streams.settings import Settings


def _clean(article_id: str, body: str) -> CleanArticle:
    raw = {"id": article_id, "source": "wire.example", "content_type": "text/plain", "body": body}
    [out] = clean_stage(intake(orjson.dumps(raw), Settings()), Settings(), State())
    assert isinstance(out.event, CleanArticle)
    return out.event


def test_an_article_longer_than_the_model_takes_is_refused_as_too_large(nlp: Any) -> None:
    short = _clean("a/1", "Maria Lopez, the finance minister, announced a new budget for Madrid on Monday.")
    long = _clean("a/2", " ".join(["The minister announced a budget for schools and hospitals."] * 40))
    enricher = Enricher(nlp, TopicClassifier.load(None), Settings())
    saved = nlp.max_length
    nlp.max_length = 1_000  # the long article's text is over it, the short one's under it
    try:
        first, second = enricher.run([short, long], {})
    finally:
        nlp.max_length = saved
    assert isinstance(first, Enriched) and first.article.article_id == "a/1"
    assert isinstance(second, Rejected) and second.reason == Reason.TOO_LARGE
    assert "1000" in second.detail


def test_an_article_that_breaks_the_stage_fails_alone(nlp: Any) -> None:
    good = _clean("b/1", "Maria Lopez, the finance minister, announced a new budget for Madrid on Monday.")
    bad = _clean("b/2", "James Carter said the plan would help small businesses.")
    bad.paragraphs = ["James Carter said the plan would help small businesses.", 42]  # type: ignore[list-item]
    enricher = Enricher(nlp, TopicClassifier.load(None), Settings())
    first, second = enricher.run([good, bad], {})
    assert isinstance(first, Enriched)
    assert isinstance(second, TypeError)


def test_an_article_the_nlp_does_not_speak_is_published_with_the_stages_it_skipped(nlp: Any) -> None:
    french = _clean(
        "c/1",
        "Le conseil municipal a voté mardi soir un budget de reconstruction pour le port, après des mois de "
        "débats sur le coût des travaux et sur la protection des quartiers les plus exposés aux tempêtes.",
    )
    english = _clean("c/2", "Maria Lopez, the finance minister, announced a new budget for Madrid on Monday.")
    assert french.language == "fr"
    first, second = Enricher(nlp, TopicClassifier.load(None), Settings()).run([french, english], {})
    assert isinstance(first, Enriched) and isinstance(second, Enriched)
    # In batch order; the French article is the enriched article alone, saying what it skipped and why.
    [out] = first.outgoing
    assert out.event.article_id == "c/1"
    assert out.event.language == "fr" and out.event.bodies[0]["value"]
    skipped = out.event.skipped  # type: ignore[attr-defined]
    assert [s["stage"] for s in skipped] == ["entities", "quotes", "topics", "keyphrases"]
    assert all("'fr'" in s["reason"] and "en" in s["reason"] for s in skipped)
    assert second.article.article_id == "c/2" and len(second.outgoing) > 1
    assert not second.outgoing[0].event.skipped  # type: ignore[attr-defined]
    # With French among the NLP languages, nothing is skipped.
    settings = Settings(languages="en,fr")
    [again] = Enricher(nlp, TopicClassifier.load(None), settings).run([french], {})
    assert isinstance(again, Enriched) and not again.outgoing[0].event.skipped  # type: ignore[attr-defined]
