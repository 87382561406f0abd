"""Across articles: a worker remembers a source's people, so a later bare "Mr Lavrov" is Sergei Lavrov."""

from __future__ import annotations

import orjson
import pytest
from aiokafka.structs import ConsumerRecord

from tests.integration.conftest import Broker, Worker
from tests.integration.kafka_io import consume_until, produce, values

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]

FIRST = {
    "id": "wire/lavrov-1",
    "source": "wire.example",
    "content_type": "text/plain",
    "headline": "Russian foreign minister meets envoys in Geneva",
    "body": "Sergei Lavrov, the Russian foreign minister, met envoys in Geneva on Monday to discuss a ceasefire.\n\n"
    "The talks lasted four hours, officials said, and will resume next week.",
}
SECOND = {
    "id": "wire/lavrov-2",
    "source": "wire.example",
    "content_type": "text/plain",
    "headline": "Ceasefire talks resume",
    "body": "Talks on a ceasefire resumed in Geneva on Tuesday after a day of delays.\n\n"
    "Mr Lavrov told reporters that progress was slow but that the envoys would meet again on Friday.",
}


async def entities_of(kafka: Broker, namespace: str, article_id: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Read news.entities and news.articles.enriched until all of one article's entity events are in.
    They are keyed by entity, spread over partitions: the first one read is not all of them."""
    entities, enriched = f"{namespace}news.entities", f"{namespace}news.articles.enriched"

    def complete(rs: list[ConsumerRecord[bytes, bytes]]) -> bool:
        articles = [a for a in values(rs, enriched) if a["article_id"] == article_id]
        seen = [e for e in values(rs, entities) if e["article_id"] == article_id]
        return bool(articles) and len(seen) >= len(articles[-1]["entities"])

    return await consume_until(kafka.bootstrap, [entities, enriched], complete)


async def test_a_later_surname_only_mention_resolves_to_the_full_name(
    kafka: Broker, worker: Worker, namespace: str
) -> None:
    raw = f"{namespace}news.articles.raw"
    entities = f"{namespace}news.entities"
    learned = f"{namespace}news.people.learned"
    await produce(kafka.bootstrap, raw, [(FIRST["id"].encode(), orjson.dumps(FIRST))])
    first = await consume_until(
        kafka.bootstrap,
        [entities, learned],
        lambda rs: (
            any(e["article_id"] == FIRST["id"] for e in values(rs, entities))
            and any(r.topic == learned for r in rs)
        ),
    )
    # What the worker learned travels as one record per source and person (the compacted topic's key).
    assert [(r.key, orjson.loads(r.value or b"")["people"]) for r in first if r.topic == learned] == [
        (b"wire.example|sergei lavrov", {"lavrov": "Sergei Lavrov"})
    ]
    await produce(kafka.bootstrap, raw, [(SECOND["id"].encode(), orjson.dumps(SECOND))])
    records = await entities_of(kafka, namespace, SECOND["id"])
    second = [e for e in values(records, entities) if e["article_id"] == SECOND["id"]]
    people = {e["entity_id"]: e for e in second if e["type"] == "PERSON"}
    assert "person:sergei-lavrov" in people, people.keys()
    assert people["person:sergei-lavrov"]["name"] == "Sergei Lavrov"
    assert "person:lavrov" not in people


async def test_people_another_worker_learned_resolve_a_surname_here(
    kafka: Broker, worker: Worker, namespace: str
) -> None:
    # Articles are spread over workers by id: what another worker learned reaches this one through
    # news.people.learned. Here that other worker is this test, which writes the update itself.
    learned = {
        "event_id": "0" * 32,
        "source": "elsewhere.example",
        "article_id": "elsewhere/1",
        "version": 1,
        "people": {"lavrov": "Sergei Lavrov"},
        "published_at": None,
        "schema_version": "1",
        "pipeline_version": "",
    }
    await produce(
        kafka.bootstrap,
        f"{namespace}news.people.learned",
        [(b"elsewhere.example|sergei lavrov", orjson.dumps(learned))],
    )
    later = {**SECOND, "id": "elsewhere/2", "source": "elsewhere.example"}
    raw = f"{namespace}news.articles.raw"
    entities = f"{namespace}news.entities"
    await produce(kafka.bootstrap, raw, [(later["id"].encode(), orjson.dumps(later))])
    records = await entities_of(kafka, namespace, later["id"])
    people = {e["entity_id"] for e in values(records, entities) if e["article_id"] == later["id"]}
    assert "person:sergei-lavrov" in people, people
    assert "person:lavrov" not in people
