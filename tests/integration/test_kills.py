"""Kills and corrections through the broker and a worker: every downstream topic read as a consumer would
(an event stands until a Retraction on its topic names it; a tombstone removes a compacted key)."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest
from aiokafka.structs import ConsumerRecord

from tests.integration.conftest import Broker, Worker
from tests.integration.kafka_io import consume_until, produce

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]

PARAGRAPHS = [
    "Maria Lopez, the finance minister of Spain, presented the new budget in Madrid on Monday.",
    '"This budget puts schools and hospitals first," Lopez told parliament.',
    '"We will not raise taxes on families this year," Lopez said.',
    "The opposition said it would vote against the plan when it reaches the chamber next month.",
]
EVENTS = ("news.entities", "news.quotes", "news.topics")
Records = list[ConsumerRecord[bytes, bytes]]


def article(article_id: str, paragraphs: list[str]) -> tuple[bytes, bytes]:
    raw = {
        "id": article_id,
        "source": "wire.example",
        "content_type": "text/plain",
        "body": "\n\n".join(paragraphs),
    }
    return article_id.encode(), orjson.dumps(raw)


def of(records: Records, topic: str, article_id: str) -> list[dict]:
    """The values on `topic` that belong to one article (retractions included), in the order read."""
    out = []
    for r in records:
        if r.topic == topic and r.value is not None:
            value = orjson.loads(r.value)
            if value.get("article_id") == article_id:
                out.append(value)
    return out


def standing(records: Records, ns: str, article_id: str) -> dict[str, set[str]]:
    """Per event topic, the article's event ids not retracted, applied in each partition's order."""
    result = {}
    for topic in EVENTS:
        ids: set[str] = set()
        for value in of(records, ns + topic, article_id):
            if "retracts" in value:
                ids.discard(value["retracts"])
            else:
                ids.add(value["event_id"])
        result[topic] = ids
    return result


def last_value(records: Records, topic: str, key: str) -> tuple[bool, bytes | None]:
    """Whether `key` was read on `topic`, and its last value (None: a tombstone): what compaction keeps."""
    found = [r for r in records if r.topic == topic and r.key == key.encode()]
    return bool(found), (found[-1].value if found else None)


def trailing_hour(records: Records, ns: str, key: str) -> int | None:
    """The key's count in its latest trailing hour (the record with the latest window_end, the last one
    written), what a dashboard ranks "now" by."""
    topic = ns + "news.entities.trending"
    windows = [orjson.loads(r.value) for r in records if r.topic == topic and r.value is not None]
    counts = [
        (v["window_end"], i, v["count"])
        for i, v in enumerate(windows)
        if v["key"] == key and v["window"] == "1h"
    ]
    return max(counts)[2] if counts else None


async def read(kafka: Broker, ns: str, done: Callable[[Records], bool]) -> Records:
    names = (*EVENTS, "news.articles.clean", "news.articles.enriched", "news.articles.kills")
    topics = [ns + t for t in (*names, "news.entities.trending")]
    return await consume_until(kafka.bootstrap, topics, done, timeout=120)


def enriched_in(records: Records, ns: str, article_id: str) -> dict | None:
    docs = of(records, ns + "news.articles.enriched", article_id)
    return docs[-1] if docs else None


def all_events_in(records: Records, ns: str, article_id: str) -> bool:
    """The enriched article and as many entity, quote and topic events as it lists."""
    doc = enriched_in(records, ns, article_id)
    if doc is None:
        return False
    counts = {
        "news.entities": len(doc["entities"]),
        "news.quotes": len(doc["quotes"]),
        "news.topics": len(doc["subjects"]),
    }
    return all(len(of(records, ns + t, article_id)) >= n for t, n in counts.items())


async def test_a_killed_article_is_withdrawn_from_every_topic(
    kafka: Broker, worker: Worker, namespace: str
) -> None:
    ns, raw = namespace, f"{namespace}news.articles.raw"
    await produce(kafka.bootstrap, raw, [article("k/1", PARAGRAPHS), article("k/2", PARAGRAPHS[:2])])
    before = await read(
        kafka,
        ns,
        lambda rs: (
            all_events_in(rs, ns, "k/1")
            and all_events_in(rs, ns, "k/2")
            and trailing_hour(rs, ns, "person:maria-lopez") == 2
        ),
    )
    # Both articles name Maria Lopez in the trailing hour (counted by hand from PARAGRAPHS).
    assert trailing_hour(before, ns, "person:maria-lopez") == 2
    published = standing(before, ns, "k/1")
    assert published["news.quotes"] and published["news.entities"], [
        of(before, ns + t, "k/1") for t in (*EVENTS, "news.articles.enriched")
    ]
    # k/1 killed by a ninjs-style status, k/2 by a tombstone; k/3's kill comes before the article.
    await produce(
        kafka.bootstrap,
        raw,
        [
            (b"k/1", orjson.dumps({"id": "k/1", "pubstatus": "canceled"})),
            (b"k/2", None),  # type: ignore[list-item]
            (b"k/3", orjson.dumps({"id": "k/3", "pubstatus": "canceled"})),
            article("k/3", PARAGRAPHS),
            article("k/4", PARAGRAPHS[3:]),  # unrelated: goes through whatever the kills do
        ],
    )

    def withdrawn(rs: Records) -> bool:
        gone = all(not ids for a in ("k/1", "k/2") for ids in standing(rs, ns, a).values())
        tombstoned = all(
            last_value(rs, ns + t, a) == (True, None)
            for a in ("k/1", "k/2")
            for t in ("news.articles.clean", "news.articles.enriched")
        )
        counted_out = trailing_hour(rs, ns, "person:maria-lopez") == 0
        return gone and tombstoned and counted_out and all_events_in(rs, ns, "k/4")

    after = await read(kafka, ns, withdrawn)
    assert withdrawn(after), (
        {a: standing(after, ns, a) for a in ("k/1", "k/2")},
        trailing_hour(after, ns, "person:maria-lopez"),
    )
    # Each retraction names an event of the article on the event's own topic, with the kill's status.
    for topic in EVENTS:
        for value in of(after, ns + topic, "k/1"):
            if "retracts" in value:
                assert value["retracts"] in published[topic] and value["reason"] == "canceled"
    kills = {r.key: orjson.loads(r.value or b"null") for r in after if r.topic == ns + "news.articles.kills"}
    assert {k: v["status"] for k, v in kills.items()} == {
        b"k/1": "canceled",
        b"k/2": "canceled",
        b"k/3": "canceled",
    }
    # The article killed before it arrived was never published anywhere.
    for topic in (*EVENTS, "news.articles.clean", "news.articles.enriched"):
        assert not of(after, ns + topic, "k/3"), topic


async def test_a_correction_retracts_the_quote_it_removed_and_resends_nothing_else(
    kafka: Broker, worker: Worker, namespace: str
) -> None:
    ns, raw = namespace, f"{namespace}news.articles.raw"
    await produce(kafka.bootstrap, raw, [article("c/1", PARAGRAPHS)])
    first = await read(kafka, ns, lambda rs: all_events_in(rs, ns, "c/1"))
    quotes = {q["text"]: q["event_id"] for q in of(first, ns + "news.quotes", "c/1")}
    removed = quotes["We will not raise taxes on families this year,"]
    await produce(kafka.bootstrap, raw, [article("c/1", [PARAGRAPHS[0], PARAGRAPHS[1], PARAGRAPHS[3]])])

    def corrected(rs: Records) -> bool:
        doc = enriched_in(rs, ns, "c/1")
        return (
            doc is not None
            and doc["version"] == "2"
            and removed not in standing(rs, ns, "c/1")["news.quotes"]
        )

    after = await read(kafka, ns, corrected)
    assert corrected(after)
    counts = {t: len(of(first, ns + t, "c/1")) for t in EVENTS}
    new = {t: of(after, ns + t, "c/1")[counts[t] :] for t in EVENTS}
    assert [(q["retracts"], q["reason"], q["version"]) for q in new["news.quotes"]] == [
        (removed, "corrected", 2)
    ]
    # Nothing both versions say is sent again: past the first version's events, only retractions.
    assert all("retracts" in v for t in EVENTS for v in new[t]), new
    assert standing(after, ns, "c/1")["news.quotes"] == {
        quotes["This budget puts schools and hospitals first,"]
    }
