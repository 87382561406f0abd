"""The worker as a real subprocess against a real broker: raw in, clean and dead letters out."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request

import orjson
import pytest

from tests.integration.conftest import Broker, Worker
from tests.integration.kafka_io import consume_until, produce, values

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]


async def test_worker_cleans_seed_after_dead_lettering_malformed_input(
    kafka: Broker, worker: Worker, namespace: str, seed_raw_bytes: bytes
) -> None:
    seed = orjson.loads(seed_raw_bytes)
    await produce(
        kafka.bootstrap,
        f"{namespace}news.articles.raw",
        [(b"broken-1", b'{"id": "broken-1", "source": '), (seed["id"].encode(), seed_raw_bytes)],
    )
    clean_topic, dead_topic = f"{namespace}news.articles.clean", f"{namespace}news.deadletter"

    def both_arrived(records: list) -> bool:
        return bool(values(records, clean_topic)) and bool(values(records, dead_topic))

    records = await consume_until(kafka.bootstrap, [clean_topic, dead_topic], both_arrived)

    [dead] = values(records, dead_topic)
    assert dead["reason"] == "malformed_json"
    assert dead["original_value"] == '{"id": "broken-1", "source": '
    assert dead["original_key"] == "broken-1"
    [clean] = values(records, clean_topic)
    assert clean["article_id"] == seed["id"]
    assert any(p.startswith("Boris Johnson has clashed publicly") for p in clean["paragraphs"])
    [record] = [r for r in records if r.topic == clean_topic]
    headers = dict(record.headers)
    assert headers["ce_id"].decode() == clean["event_id"]
    assert headers["ce_type"] == b"news.article.clean"
    assert record.key == seed["id"].encode()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


async def test_the_worker_serves_no_view_of_its_tables_or_internals(worker: Worker) -> None:
    base = f"http://127.0.0.1:{worker.env['NEWSSTREAMS_WEB_PORT']}"
    paths = ["/table/clean-article-versions/", "/router/", "/stats/", "/graph/"]
    assert await asyncio.to_thread(_status, f"{base}/health/live") == 200
    assert {path: await asyncio.to_thread(_status, base + path) for path in paths} == dict.fromkeys(
        paths, 404
    )
