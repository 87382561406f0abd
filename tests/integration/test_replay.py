"""Topic administration, replay and diff on the real broker."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from streams.events import flow
from streams.events.contracts import validate
from streams.kafka import ranges
from streams.kafka.admin import apply
from streams.settings import Settings
from streams.tools import diff
from streams.tools.replay import ReplayRefused, replay
from tests.integration.conftest import Broker, Worker
from tests.integration.kafka_io import consume_until, produce, values
from tests.integration.test_kills import EVENTS, PARAGRAPHS, article, last_value, of, standing

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _settings(kafka: Broker, namespace: str, **changes: object) -> Settings:
    return Settings(
        broker=f"kafka://{kafka.bootstrap}",
        topic_prefix=namespace,
        app_id=f"{namespace}newsstreams",
        **changes,  # type: ignore[arg-type]
    )


def _feed() -> list[tuple[bytes, bytes]]:
    lines = [line for line in (SAMPLES / "feed.jsonl").read_bytes().splitlines() if line.strip()]
    return [(orjson.loads(line).get("id", "x").encode(), line) for line in lines]


async def test_topics_apply_twice_is_a_no_op_the_second_time(kafka: Broker, namespace: str) -> None:
    settings = _settings(kafka, namespace)
    first = await apply(settings)
    assert {c.topic for c in first} == {settings.topic(spec.name) for spec in flow.FLOW}
    assert all(c.action == "created" for c in first)
    assert await apply(settings) == []


async def test_topics_apply_changes_one_config_and_keeps_the_others(kafka: Broker, namespace: str) -> None:
    # AlterConfigs replaces a topic's whole set of overrides: changing retention alone must not drop the
    # compaction of a compacted topic, nor a setting an operator added.
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    settings = _settings(kafka, namespace)
    await apply(settings)
    clean = settings.topic(flow.CLEAN.name)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    try:

        async def config() -> dict[str, str]:
            [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, clean)])
            return {e[0]: e[1] for e in response.resources[0][4]}

        async def until(done: Callable[[dict[str, str]], bool]) -> dict[str, str]:
            # The controller applies a change; the broker answering describe_configs learns it a moment
            # later (and right after creation it may not list the topic's configs at all).
            for _ in range(100):
                current = await config()
                if done(current):
                    break
                await asyncio.sleep(0.2)
            return current

        await until(lambda c: c.get("cleanup.policy") == "compact")
        operator = {"cleanup.policy": "compact", "retention.ms": "1000", "min.cleanable.dirty.ratio": "0.3"}
        [altered] = await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, clean, configs=operator)]
        )
        assert [r[0] for r in altered.resources] == [0]  # no error
        await until(lambda c: c.get("retention.ms") == "1000")
        changes = await apply(settings)
        assert [(c.topic, c.action) for c in changes] == [(clean, "config")]
        after = await until(lambda c: c.get("retention.ms") != "1000")
    finally:
        await admin.close()
    assert after["retention.ms"] == str(flow.CLEAN.retention_ms)
    assert after["cleanup.policy"] == "compact"
    assert after["min.cleanable.dirty.ratio"] == "0.3"


async def test_replay_with_unchanged_pipeline_reproduces_ids_and_payloads(
    kafka: Broker, namespace: str, worker: Worker, shared_dir: Path
) -> None:
    # shared_dir: the enriched articles are validated over IPTC's ninjs schema, read from ../shared.
    settings = _settings(kafka, namespace)
    feed = _feed()
    await produce(kafka.bootstrap, settings.topic("news.articles.raw"), feed)
    enriched = settings.topic("news.articles.enriched")
    await consume_until(
        kafka.bootstrap, [enriched], lambda rs: len(values(rs, enriched)) >= len(feed), timeout=180
    )
    worker.stop()

    summary = await replay(settings, suffix=".v2", progress=False)
    assert summary.read == len(feed)
    live, side = await diff.read_topics(settings, ""), await diff.read_topics(settings, ".v2")
    # Every event the worker published for the seed and the sample feed honours its topic's schema.
    for topic, events in live.items():
        for event in events:
            validate(topic, event)
    changes = diff.compare(live, side)
    assert all(d.unchanged for d in changes.values()), diff.report(changes)
    for topic in ("news.entities", "news.quotes", "news.topics", "news.articles.clean"):
        assert live[topic], topic
        assert sorted(e["event_id"] for e in live[topic]) == sorted(e["event_id"] for e in side[topic])

    # A changed setting (every topic score kept, not only those over the threshold) shows in the diff.
    changed = dataclasses.replace(settings, topic_threshold=0.0)
    await replay(changed, suffix=".v3", progress=False)
    v3 = await diff.read_topics(settings, ".v3")
    assert not all(d.unchanged for d in diff.compare(live, v3).values())


async def test_replay_refuses_while_a_worker_of_the_group_runs(
    kafka: Broker, namespace: str, worker: Worker
) -> None:
    with pytest.raises(ReplayRefused):
        await replay(_settings(kafka, namespace), progress=False)


async def test_since_replays_only_messages_from_that_time_on(kafka: Broker, namespace: str) -> None:
    settings = _settings(kafka, namespace)
    await apply(settings)
    feed = _feed()
    await produce(kafka.bootstrap, settings.topic("news.articles.raw"), feed[:2])
    # Broker timestamps are the producer's clock at send time: leave a clear gap on both sides.
    await asyncio.sleep(2.0)
    since = datetime.now(UTC)
    await asyncio.sleep(2.0)
    await produce(kafka.bootstrap, settings.topic("news.articles.raw"), feed[2:4])
    summary = await replay(settings, suffix=".since", since=since, progress=False)
    assert summary.read == 2
    side = await diff.read_topics(settings, ".since")
    replayed = {e["article_id"] for e in side["news.articles.clean"]}
    assert replayed == {orjson.loads(v)["id"] for _, v in feed[2:4]} - {None}


# ---- kills: honoured by every replay, whatever the range (issue 23) ---------------------------------

LIVE = (*EVENTS, "news.articles.clean", "news.articles.enriched")


def _kill(article_id: str) -> tuple[bytes, bytes]:
    return article_id.encode(), orjson.dumps({"id": article_id, "pubstatus": "canceled"})


def _of_article(records: list, ns: str, article_id: str) -> list[tuple[str, bytes | None]]:
    """Every record on the live topics that belongs to `article_id`: by key (tombstones too) or by value."""
    found = []
    for topic in LIVE:
        found += [(topic, r.value) for r in records if r.topic == ns + topic and r.key == article_id.encode()]
        found += [(topic, orjson.dumps(v)) for v in of(records, ns + topic, article_id)]
    return found


async def test_a_range_replay_without_the_kill_publishes_nothing_of_the_killed_article(
    kafka: Broker, namespace: str, worker: Worker
) -> None:
    # As in production: the worker read the article and, later, its kill, and recorded the kill on
    # news.articles.kills. An operator then replays a time range that holds the article but not the kill.
    settings, ns = _settings(kafka, namespace), namespace
    raw = settings.topic("news.articles.raw")
    # Broker timestamps are the producer's clock at send time: a clear gap on each side of the range.
    since = datetime.now(UTC)
    await asyncio.sleep(2.0)
    await produce(kafka.bootstrap, raw, [article("r/1", PARAGRAPHS), article("r/2", PARAGRAPHS[:2])])
    await asyncio.sleep(2.0)
    until = datetime.now(UTC)
    await asyncio.sleep(2.0)
    await produce(kafka.bootstrap, raw, [_kill("r/1")])

    def worked(rs: list) -> bool:
        # The worker published r/1, then took every event of it back; r/2 stands.
        return (
            bool(of(rs, ns + "news.quotes", "r/1"))
            and not any(standing(rs, ns, "r/1").values())
            and last_value(rs, ns + "news.articles.enriched", "r/1") == (True, None)
            and bool(standing(rs, ns, "r/2")["news.quotes"])
            and any(r.topic == ns + "news.articles.kills" for r in rs)
        )

    topics = [ns + t for t in (*LIVE, "news.articles.kills")]
    assert worked(await consume_until(kafka.bootstrap, topics, worked, timeout=180))
    worker.stop()
    before = await ranges.read(settings, [ns + t for t in LIVE])

    summary = await replay(settings, since=since, until=until, progress=False)
    assert (summary.read, summary.kills, summary.partial) == (2, 1, True)
    # What the replay published on the live topics: everything past their ends before it ran.
    published = (await ranges.read(settings, [ns + t for t in LIVE], offsets=before.ends)).records
    assert _of_article(published, ns, "r/1") == []
    assert {t for t, _ in _of_article(published, ns, "r/2")} == set(LIVE)
    assert standing(published, ns, "r/2")["news.quotes"] == standing(before.records, ns, "r/2")["news.quotes"]


async def test_a_full_replay_honours_kills_and_records_them_for_a_later_range_replay(
    kafka: Broker, namespace: str
) -> None:
    # No worker ever ran. The raw topic holds four articles, then: f/1 canceled, f/2 deleted by a tombstone,
    # f/4 withheld and sent again as usable. A consumer of each live topic applies retractions as they come.
    settings, ns = _settings(kafka, namespace), namespace
    raw = settings.topic("news.articles.raw")
    await apply(settings)
    articles = [
        article(a, p) for a, p in (("f/1", PARAGRAPHS), ("f/2", PARAGRAPHS[1:]), ("f/3", PARAGRAPHS[:2]))
    ]
    held = orjson.loads(article("f/4", PARAGRAPHS[:3])[1])
    await produce(kafka.bootstrap, raw, [*articles, (b"f/4", orjson.dumps(held))])
    await asyncio.sleep(2.0)  # broker timestamps: a clear gap between the articles and what follows
    until = datetime.now(UTC)
    await asyncio.sleep(2.0)
    kills = [_kill("f/1"), (b"f/2", None), (b"f/4", orjson.dumps({"id": "f/4", "pubstatus": "withheld"}))]
    lifted = (b"f/4", orjson.dumps({**held, "pubstatus": "usable"}))
    await produce(kafka.bootstrap, raw, [*kills, lifted])  # type: ignore[list-item]

    summary = await replay(settings, progress=False)
    assert (summary.read, summary.kills) == (8, 0)
    live = await ranges.read(settings, [ns + t for t in LIVE])
    for killed in ("f/1", "f/2"):
        # Published first (the replay meets the article before its kill), then all of it taken back.
        assert of(live.records, ns + "news.quotes", killed) and of(live.records, ns + "news.entities", killed)
        assert standing(live.records, ns, killed) == {t: set() for t in EVENTS}, killed
        for topic in ("news.articles.clean", "news.articles.enriched"):
            assert last_value(live.records, ns + topic, killed) == (True, None), (killed, topic)
    # f/4 was retracted when withheld and stands again, the same events, once sent again as usable.
    assert any(v.get("reason") == "withheld" for v in of(live.records, ns + "news.quotes", "f/4"))
    for kept in ("f/3", "f/4"):
        assert standing(live.records, ns, kept)["news.quotes"], kept
        assert last_value(live.records, ns + "news.articles.enriched", kept)[1] is not None, kept
    recorded = (await ranges.read(settings, [ns + "news.articles.kills"])).records
    assert {r.key: orjson.loads(r.value or b"null")["status"] for r in recorded} == {
        b"f/1": "canceled",
        b"f/2": "canceled",
        b"f/4": "withheld",
    }

    # The kills that full replay recorded hold for a later replay of the articles alone: of the versions
    # in range only f/3 comes out (f/4's withheld version came before its withhold).
    summary = await replay(settings, until=until, progress=False)
    assert (summary.read, summary.kills) == (4, 3)
    published = (await ranges.read(settings, [ns + t for t in LIVE], offsets=live.ends)).records
    for killed in ("f/1", "f/2", "f/4"):
        assert _of_article(published, ns, killed) == [], killed
    assert {t for t, _ in _of_article(published, ns, "f/3")} == set(LIVE)
