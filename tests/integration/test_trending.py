"""Trending windows by event time: exact counts per window, late events inside the grace period counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from streams.events.records import EntityEvent, Mention, event_id, to_json
from tests.integration.conftest import Broker, Worker
from tests.integration.kafka_io import consume_until, produce, values

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]
T0 = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # on a window boundary of both window families


def _mention_fields(entity: str, seconds: float, n: int) -> dict[str, Any]:
    return {
        "event_id": event_id("trending-test", entity, n),
        "article_id": f"article-{n}",
        "entity_id": entity,
        "name": entity.split(":")[1].replace("-", " ").title(),
        "type": "PERSON",
        "mentions": [Mention(text="x", section="body", paragraph=0, start=0, end=1)],
        "salience": 0.5,
        "source": "trending.example",
        "published_at": T0 + timedelta(seconds=seconds),
    }


def _mention(entity: str, seconds: float, n: int) -> tuple[bytes, bytes]:
    return entity.encode(), to_json(EntityEvent(**_mention_fields(entity, seconds, n)))


def _first_minute(records: list, topic: str, entity: str) -> int:
    """The highest count `entity` reached in the minute window starting at T0."""
    counts = [
        e["count"]
        for e in values(records, topic)
        if (e["key"], e["window"], e["window_start"]) == (entity, "1m", T0.isoformat())
    ]
    return max(counts, default=0)


@pytest.fixture
def worker_env(worker_env: dict[str, str]) -> dict[str, str]:
    return {**worker_env, "NEWSSTREAMS_TRENDING_GRACE": "300"}


async def test_counts_per_window_are_exact_and_late_events_within_grace_count(
    kafka: Broker, worker: Worker, namespace: str
) -> None:
    lavrov, may = "person:sergei-lavrov", "person:theresa-may"
    sequence = [
        _mention(lavrov, 5, 1),
        _mention(lavrov, 10, 2),
        _mention(may, 15, 3),
        _mention(lavrov, 20, 4),
        _mention(lavrov, 65, 5),  # next minute: count 1, previous 3
        _mention(lavrov, 200, 6),  # moves event time on
        _mention(lavrov, 30, 7),  # late, but within 300 s of the newest: back into the first minute
        _mention(lavrov, 1000, 8),  # moves event time far on
        _mention(lavrov, 40, 9),  # later than the grace period: not counted
    ]
    await produce(kafka.bootstrap, f"{namespace}news.entities", sequence)
    topic = f"{namespace}news.entities.trending"

    def last_per_window(records: list) -> dict[tuple[str, str, str], dict]:
        latest: dict[tuple[str, str, str], dict] = {}
        for event in values(records, topic):
            latest[(event["key"], event["window"], event["window_start"])] = event
        return latest

    def lavrov_first_minute(records: list) -> int:
        event = last_per_window(records).get((lavrov, "1m", T0.isoformat()))
        return event["count"] if event else 0

    records = await consume_until(
        kafka.bootstrap,
        [topic],
        lambda rs: (
            lavrov_first_minute(rs) >= 4
            and (lavrov, "1m", (T0 + timedelta(seconds=960)).isoformat()) in last_per_window(rs)
            # The hour window is sent right after the minute one: wait for both.
            and (lavrov, "1h/5m", (T0 + timedelta(seconds=900)).isoformat()) in last_per_window(rs)
        ),
        timeout=90,
    )
    windows = last_per_window(records)
    assert windows[(lavrov, "1m", T0.isoformat())]["count"] == 4  # 5 s, 10 s, 20 s and the late 30 s
    assert windows[(may, "1m", T0.isoformat())]["count"] == 1
    second = windows[(lavrov, "1m", (T0 + timedelta(seconds=60)).isoformat())]
    assert second["count"] == 1
    assert second["previous_count"] == 3  # the first minute as it stood when 65 s arrived
    assert second["rising"] < 0
    assert windows[(lavrov, "1m", (T0 + timedelta(seconds=960)).isoformat())]["count"] == 1
    # Each update reports the newest hopping-hour window holding its event: the hour from T0 was
    # last reported by the late 30 s event, when it held 5, 10, 20, 65, 200 and 30 s.
    assert windows[(lavrov, "1h/5m", T0.isoformat())]["count"] == 6
    assert windows[(lavrov, "1h/5m", (T0 + timedelta(seconds=900)).isoformat())]["count"] == 1
    assert all(e["schema_version"] == "1" for e in values(records, topic))


async def test_undated_articles_count_by_their_message_time(
    kafka: Broker, worker: Worker, namespace: str
) -> None:
    # An article with no date gives events without published_at: the window takes the Kafka message
    # time instead (before, the agent crashed on each such event and counted nothing after it).
    entity = "person:ada-undated"
    undated = [
        (seconds, EntityEvent(**{**_mention_fields(entity, 0, n), "published_at": None}))
        for n, seconds in ((1, 5), (2, 10))
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()
    try:
        for seconds, event in undated:
            stamp = int((T0 + timedelta(seconds=seconds)).timestamp() * 1000)
            await producer.send_and_wait(
                f"{namespace}news.entities", value=to_json(event), key=entity.encode(), timestamp_ms=stamp
            )
    finally:
        await producer.stop()
    await produce(kafka.bootstrap, f"{namespace}news.entities", [_mention(entity, 20, 3)])  # dated
    topic = f"{namespace}news.entities.trending"

    records = await consume_until(
        kafka.bootstrap, [topic], lambda rs: _first_minute(rs, topic, entity) >= 3, timeout=90
    )
    assert _first_minute(records, topic, entity) == 3


async def test_counts_carry_on_after_a_restart(
    kafka: Broker, worker: Worker, namespace: str, tmp_path: Path
) -> None:
    # The windows live in memory (NEWSSTREAMS_TRENDING_STORE): a restarted worker rebuilds them from their
    # changelogs, so the count goes on from where it stood instead of starting again at 1.
    entity = "person:ada-restarted"
    topic = f"{namespace}news.entities.trending"

    await produce(
        kafka.bootstrap, f"{namespace}news.entities", [_mention(entity, 5, 1), _mention(entity, 10, 2)]
    )
    await consume_until(
        kafka.bootstrap, [topic], lambda rs: _first_minute(rs, topic, entity) >= 2, timeout=90
    )
    worker.stop()
    again = Worker(env=worker.env, log=tmp_path / "worker-restarted.log").start()
    try:
        await produce(kafka.bootstrap, f"{namespace}news.entities", [_mention(entity, 20, 3)])
        records = await consume_until(
            kafka.bootstrap, [topic], lambda rs: _first_minute(rs, topic, entity) >= 3, timeout=90
        )
    finally:
        again.stop()
    assert _first_minute(records, topic, entity) == 3
