"""The NLP child's warm-up: what loads on first use is loaded before the first batch, and leaves no trace."""

from __future__ import annotations

from typing import Any

from streams.cleaning.stage import State, clean_stage, intake
from streams.enrichment.enrich import Enricher
from streams.enrichment.entities import lexicon
from streams.enrichment.iptc import TopicClassifier
from streams.events.records import CleanArticle
from streams.settings import Settings


def _article() -> CleanArticle:
    raw = (
        b'{"source": "wire", "id": "w-1", "content_type": "text/plain", "headline": "Council votes",'
        b' "body": "LONDON (Reuters) - The city council voted on Tuesday. \\"We had no choice,\\" said'
        b' council leader Maria Lopez. Critics in Manchester disagreed."}'
    )
    settings = Settings()
    [out] = [o for o in clean_stage(intake(raw, settings), settings, State()) if o.event is not None]
    assert isinstance(out.event, CleanArticle)
    return out.event


def test_warm_up_loads_the_word_lists_the_rules_read_lazily(nlp: Any) -> None:
    for cached in (lexicon._census, lexicon._places, lexicon._dictionary):
        cached.cache_clear()
    Enricher(nlp, TopicClassifier.load(None), Settings()).warm_up()
    # Each was read once, by the warm-up: none is left for the first article a worker takes.
    assert lexicon._census.cache_info().currsize >= 1
    assert lexicon._places.cache_info().currsize == 1
    assert lexicon._dictionary.cache_info().currsize == 1


def test_warm_up_leaves_no_words_and_no_people_behind(nlp: Any) -> None:
    settings = Settings()
    article = _article()
    [cold] = Enricher(nlp, TopicClassifier.load(None), settings).run([article], {})
    warmed = Enricher(nlp, TopicClassifier.load(None), settings)
    strings = len(nlp.vocab.strings)
    warmed.warm_up()
    # Its words lived in the batch's memory zone, and its result is dropped: nothing it read is kept.
    assert len(nlp.vocab.strings) == strings
    [warm] = warmed.run([article], {})
    assert not isinstance(cold, Exception) and not isinstance(warm, Exception)
    assert [o.event for o in warm.outgoing] == [o.event for o in cold.outgoing]
    assert warm.people == cold.people
