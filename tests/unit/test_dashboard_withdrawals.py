"""The dashboard taking back what a kill or a correction withdrew: Retractions on the entity, quote and topic
topics, and tombstones on the article store. Expected values are worked out by hand from `fed()`'s three
articles (a1, a2 from bbc; a3 from guardian), listed in tests/unit/test_dashboard.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka.structs import ConsumerRecord

from streams.events import records
from streams.settings import Settings
from streams.web.feed import Feed
from streams.web.state import DashboardState, Hub, is_retraction
from tests.unit.test_dashboard import JOHNSON, LAVROV, entity, fed, quote

NATO = "org:nato"
POLITICS = "medtop:11000000"


def retraction(retracts: str, article: str, kind: str, reason: str = "canceled", **extra: Any) -> dict:
    """A Retraction in its wire form (the Record the worker publishes, through its JSON)."""
    event = records.Retraction(
        event_id=f"r-{retracts}", retracts=retracts, article_id=article, kind=kind, reason=reason, **extra
    )
    return dict(orjson.loads(records.to_json(event)))


def people(state: DashboardState) -> list[tuple[str, int]]:
    return [(r["name"], r["count"]) for r in state.trending("PERSON")]


def snapshot(state: DashboardState) -> list[Any]:
    """Every view the page reads."""
    return [
        state.quotes(),
        state.trending(),
        state.topics(),
        state.source_list(),
        state.article_view("a1"),
        state.entity_view(LAVROV[0]),
        state.entity_view(NATO),
    ]


def test_a_retracted_quote_leaves_the_list_the_article_and_the_speaker_s_page() -> None:
    state = fed()
    assert [q["text"] for q in state.quotes(entity=LAVROV[0])] == ["We will not be lectured"]
    [item] = state.apply("news.quotes", retraction("q-a1-0", "a1", "quote"))
    assert item.kind == "retraction"
    assert {k: item.data[k] for k in ("retracts", "what", "article_id", "reason")} == {
        "retracts": "q-a1-0",
        "what": "quote",
        "article_id": "a1",
        "reason": "canceled",
    }
    # Every open page gets it, whatever it is narrowed to: the page drops only what it shows.
    assert item.matches("guardian", "person:nobody")
    assert [q["text"] for q in state.quotes()] == ["Nonsense"]
    assert state.quotes(entity=LAVROV[0]) == []
    view, lavrov = state.article_view("a1"), state.entity_view(LAVROV[0])
    assert view is not None and view["quotes"] == []
    assert lavrov is not None and lavrov["quotes"] == []
    # A page reconnecting from before it is not sent the quote again, and a replay of it stays withdrawn.
    assert [i.data["text"] for i in state.since(0)[0] if i.kind == "quote"] == ["Nonsense"]
    assert state.apply("news.quotes", quote("a1", 0, "We will not be lectured", LAVROV)) == []
    assert [q["text"] for q in state.quotes()] == ["Nonsense"]
    # Entities and topics of the article are untouched: Lavrov in a1 and a2, Johnson in a1 and a3.
    assert people(state) == [("Boris Johnson", 2), ("Sergei Lavrov", 2)]
    assert state.health()["withdrawn"] == {"quote": 1}


def test_a_retraction_of_an_id_the_dashboard_does_not_hold_changes_nothing() -> None:
    state = fed()
    before, last_id = snapshot(state), state.last_id
    for topic_name, event in (
        ("news.quotes", retraction("q-unknown", "a1", "quote")),
        ("news.entities", retraction("e-unknown", "a1", "entity", entity_id=NATO)),
        ("news.topics", retraction("t-unknown", "a1", "topic", topic=POLITICS)),
        ("news.quotes", retraction("q-a1-0", "a9", "quote", reason="withheld")),  # no such article or quote
        # An entity event's id retracted on the quotes topic: each topic withdraws only its own events.
        ("news.quotes", retraction(f"e-a1-{NATO}-1", "a1", "quote")),
    ):
        assert state.apply(topic_name, event) == []
    assert snapshot(state) == before and state.last_id == last_id
    assert state.health()["withdrawn"] == {}


def test_a_retracted_entity_leaves_the_counts_the_entity_page_and_its_quote_filter() -> None:
    state = fed()
    # A revision repeats the pair under a new id (counted once); withdrawing either id takes the pair off.
    assert state.apply("news.entities", entity("a1", NATO, "NATO", "ORG", version=2)) == []
    assert [q["text"] for q in state.quotes(entity=NATO)] == ["We will not be lectured"]  # a1 names NATO
    [item] = state.apply(
        "news.entities", retraction(f"e-a1-{NATO}-1", "a1", "entity", "corrected", version=3, entity_id=NATO)
    )
    assert (item.kind, item.data["entity_id"], item.data["count"], item.data["reason"]) == (
        "retraction",
        NATO,
        0,
        "corrected",
    )
    assert state.trending("ORG") == []
    assert state.entity_view(NATO) is None  # no remembered article names it any more
    assert state.quotes(entity=NATO) == []
    view = state.article_view("a1")
    assert view is not None and [e["name"] for e in view["entities"]] == ["Boris Johnson", "Sergei Lavrov"]
    assert state.apply("news.entities", retraction(f"e-a1-{NATO}-2", "a1", "entity", entity_id=NATO)) == []
    # Lavrov leaves a1 (still in a2), but the quote a1 gives him is still his: it keeps matching him.
    state.apply("news.entities", retraction(f"e-a1-{LAVROV[0]}-1", "a1", "entity", entity_id=LAVROV[0]))
    assert people(state) == [("Boris Johnson", 2), ("Sergei Lavrov", 1)]
    lavrov = state.entity_view(LAVROV[0])
    assert lavrov is not None and [a["article_id"] for a in lavrov["articles"]] == ["a2"]
    assert [q["text"] for q in state.quotes(entity=LAVROV[0])] == ["We will not be lectured"]
    # Johnson is still named in a1, so the a1 quote still shows on his filter as well.
    assert [q["text"] for q in state.quotes(entity=JOHNSON[0])] == ["Nonsense", "We will not be lectured"]
    assert state.health()["withdrawn"] == {"entity": 2}


def test_a_retracted_topic_leaves_the_topic_mix() -> None:
    state = fed()
    [item] = state.apply("news.topics", retraction(f"t-a1-{POLITICS}", "a1", "topic", topic=POLITICS))
    assert (item.data["topic"], item.data["count"]) == (POLITICS, 1)
    # politics in a2 only, economy in a3: one each, ties by code (medtop:04… before medtop:11…).
    assert state.topics() == [
        {"topic": "medtop:04000000", "label": "economy", "count": 1, "share": 0.5},
        {"topic": POLITICS, "label": "politics", "count": 1, "share": 0.5},
    ]
    view = state.article_view("a1")
    assert view is not None and view["topics"] == []


def test_retractions_unmark_the_article_text() -> None:
    state = DashboardState()
    mention = {"text": "Sergei Lavrov", "section": "body", "paragraph": 0, "start": 32, "end": 45}
    state.apply("news.entities", entity("a1", *LAVROV, "PERSON", mentions=[mention]))
    state.apply("news.quotes", {**quote("a1", 0, "We will not be lectured,", LAVROV), "start": 1, "end": 25})
    body = "“We will not be lectured,” said Sergei Lavrov."
    enriched = {"event_id": "x-a1", "article_id": "a1", "source": "bbc", "bodies": [{"value": body}]}
    state.apply("news.articles.enriched", enriched)
    state.apply("news.quotes", retraction("q-a1-0", "a1", "quote"))
    state.apply("news.entities", retraction(f"e-a1-{LAVROV[0]}-1", "a1", "entity", entity_id=LAVROV[0]))
    view = state.article_view("a1")
    assert view is not None and view["paragraphs"] == [[{"text": body}]]


def record(topic: str, key: str, value: bytes | None, headers: Any = ()) -> ConsumerRecord[bytes, bytes]:
    size = len(value or b"")
    return ConsumerRecord(f"t1.{topic}", 0, 3, 0, 0, key.encode(), value, None, 2, size, tuple(headers))


def test_a_tombstone_on_the_enriched_article_takes_the_article_and_all_it_said_off() -> None:
    feed = Feed(Settings(topic_prefix="t1."), fed(), Hub())
    queue = feed.hub.subscribe()
    feed.take(record("news.articles.enriched", "a1", None))
    pushed = queue.get_nowait()
    assert pushed is not None and (pushed.kind, pushed.data) == (
        "removed",
        {"article_id": "a1", "source": "bbc"},
    )
    assert pushed.matches("guardian", "person:nobody")
    state = feed.state
    assert state.article_view("a1") is None
    assert [q["text"] for q in state.quotes()] == ["Nonsense"]
    # a2 names Lavrov and Moscow, a3 Johnson and the Baltic; politics a2, economy a3.
    assert people(state) == [("Boris Johnson", 1), ("Sergei Lavrov", 1)]
    assert state.trending("ORG") == [] and state.entity_view(NATO) is None
    assert [(t["label"], t["count"]) for t in state.topics()] == [("economy", 1), ("politics", 1)]
    assert state.source_list() == [{"source": "bbc", "articles": 1}, {"source": "guardian", "articles": 1}]
    # What the killed article said, read later on another topic, is not shown; a second tombstone is a no-op.
    assert state.apply("news.quotes", quote("a1", 1, "Read after the kill", LAVROV)) == []
    assert state.apply("news.entities", entity("a1", "org:un", "UN", "ORG")) == []
    feed.take(record("news.articles.enriched", "a1", None))
    assert queue.empty() and state.health()["withdrawn"] == {"article": 1}
    # Tombstones elsewhere (trending's compaction) are not kills.
    feed.take(record("news.entities.trending", "a2", None))
    assert state.article_view("a2") is not None


def test_both_shapes_of_a_retraction_are_read() -> None:
    when = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    wire = records.Retraction(
        event_id="r1", retracts="q-a1-0", article_id="a1", kind="quote", reason="canceled", retracted_at=when
    )
    headers = list(records.cloudevent_headers(wire).items())
    assert is_retraction({"event_id": "r1"}, "news.retraction")
    assert is_retraction({"event_id": "r1", "retracts": "x"}, None)
    assert not is_retraction(quote("a1", 0, "hello", None), "news.quote")
    # With the worker's CloudEvents headers.
    feed = Feed(Settings(topic_prefix="t1."), fed(), Hub())
    feed.take(record("news.quotes", "a1", records.to_json(wire), headers))
    assert [q["text"] for q in feed.state.quotes()] == ["Nonsense"]
    # Without headers (a plain producer): the `retracts` field says it.
    plain = Feed(Settings(topic_prefix="t1."), fed(), Hub())
    plain.take(record("news.quotes", "a1", records.to_json(wire)))
    assert [q["text"] for q in plain.state.quotes()] == ["Nonsense"]
    # A quote event under its own header is still a quote.
    event = records.QuoteEvent(
        event_id="q2", article_id="a4", text="Still here", kind="full", section="body", paragraph=0,
        start=0, end=10, source="bbc",
    )  # fmt: skip
    plain.take(record("news.quotes", "a4", records.to_json(event), records.cloudevent_headers(event).items()))
    assert [q["text"] for q in plain.state.quotes()] == ["Still here", "Nonsense"]
    assert plain.malformed == 0 and plain.state.ignored == 0
