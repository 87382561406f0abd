"""The demo's continuous feed: fresh, current and varied enough that the clean stage keeps it all."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import orjson

from streams.cleaning.stage import State, clean_stage, intake
from streams.settings import Settings
from streams.tools import demo_feed


def _clock(start: datetime, step: timedelta):  # type: ignore[no-untyped-def]
    moments = (start + n * step for n in itertools.count())
    return lambda: next(moments)


def test_articles_are_new_current_and_from_several_sources() -> None:
    start = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    feed = list(itertools.islice(demo_feed.articles(seed=3, clock=_clock(start, timedelta(seconds=2))), 300))
    assert len({a["id"] for a in feed}) == 300
    # The feed reads the clock once when it starts, then once per article: each is dated when it is made.
    assert feed[0]["published_at"] == (start + timedelta(seconds=2)).isoformat()
    assert feed[-1]["published_at"] == (start + timedelta(seconds=2 * 300)).isoformat()
    assert set(demo_feed.SOURCES) == {a["source"] for a in feed}
    for a in feed:
        intake(orjson.dumps(a), Settings())  # the raw-article contract: raises Rejected otherwise


def test_the_clean_stage_keeps_every_article_and_its_quote() -> None:
    # An hour of the feed at one article every two seconds, through the stage with its learned boilerplate
    # and syndication state, as a worker runs it: no article is taken for a copy of another, and the
    # quotation paragraph (the one with “) is never learned away as boilerplate.
    settings = Settings()
    state = State()
    start = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    feed = itertools.islice(demo_feed.articles(seed=5, clock=_clock(start, timedelta(seconds=2))), 1800)
    copies = quoted = total = 0
    for event in feed:
        [out] = clean_stage(intake(orjson.dumps(event), settings), settings, state)
        article = out.event
        total += 1
        copies += article.duplicate_of is not None
        quoted += any("“" in p for p in article.paragraphs)
    assert total == 1800
    assert copies == 0
    assert quoted == total


def test_a_different_story_leads_every_few_minutes() -> None:
    leads = {demo_feed._lead(0, m * 60.0) for m in range(0, 60, 3)}
    assert len(leads) > 5
