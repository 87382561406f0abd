"""Across articles: a worker remembers a source's people, so a later bare "Mr Lavrov" is Sergei Lavrov."""

from __future__ import annotations

import orjson
import pytest

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


async def test_a_later_surname_only_mention_resolves_to_the_full_name(
    kafka: Broker, worker: Worker, namespace: str
) -> None:
    raw = f"{namespace}news.articles.raw"
    entities = f"{namespace}news.entities"
    await produce(kafka.bootstrap, raw, [(FIRST["id"].encode(), orjson.dumps(FIRST))])
    await consume_until(
        kafka.bootstrap,
        [entities],
        lambda rs: any(e["article_id"] == FIRST["id"] for e in values(rs, entities)),
    )
    await produce(kafka.bootstrap, raw, [(SECOND["id"].encode(), orjson.dumps(SECOND))])
    records = await consume_until(
        kafka.bootstrap,
        [entities],
        lambda rs: any(e["article_id"] == SECOND["id"] for e in values(rs, entities)),
    )
    second = [e for e in values(records, entities) if e["article_id"] == SECOND["id"]]
    people = {e["entity_id"]: e for e in second if e["type"] == "PERSON"}
    assert "person:sergei-lavrov" in people, people.keys()
    assert people["person:sergei-lavrov"]["name"] == "Sergei Lavrov"
    assert "person:lavrov" not in people
