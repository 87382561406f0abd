"""Trending through the broker: trailing-window counts of distinct articles, late events, ageing, restarts.

Expected counts are computed here from the articles' own times and the stated semantics (a watermark per
input partition, `GRACE` seconds of lateness, an article counted once), never from the code under test.
Entity events are produced to explicit partitions, so the test knows each partition's watermark.
"""

from __future__ import annotations

import asyncio
import signal
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from streams.events.records import (
    EntityEvent,
    Mention,
    Retraction,
    TopicEvent,
    cloudevent_headers,
    event_id,
    to_json,
)
from tests.integration.conftest import Broker, Worker
from tests.integration.kafka_io import consume_until, produce
from tests.reliability.conftest import worker_on

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]
T0 = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # a whole hour
GRACE = 300
SIZES = {"1m": 60, "1h": 3600}


@dataclass(frozen=True)
class Sent:
    partition: int
    key: str
    article: str
    seconds: float  # event time after T0
    version: int = 1


def _event(s: Sent) -> bytes:
    return to_json(
        EntityEvent(
            event_id=event_id(s.article, s.version, "test", "entity", s.key),
            article_id=s.article,
            version=s.version,
            entity_id=s.key,
            name=s.key.split(":")[1].replace("-", " ").title(),
            type="PERSON",
            mentions=[Mention(text="x", section="body", paragraph=0, start=0, end=1)],
            salience=0.5,
            source="trending.example",
            published_at=T0 + timedelta(seconds=s.seconds),
        )
    )


async def _send(bootstrap: str, topic: str, sent: list[Sent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for s in sent:  # one at a time: each partition gets them in this order
            await producer.send_and_wait(topic, _event(s), key=s.key.encode(), partition=s.partition)
    finally:
        await producer.stop()


def expected_articles(sent: list[Sent]) -> dict[str, dict[str, float]]:
    """Per key, the articles that count and their event times: an event more than GRACE behind the highest
    event time its partition saw before it is late; an article counts once (first time it is on time)."""
    watermark: dict[int, float] = {}
    counted: dict[str, dict[str, float]] = defaultdict(dict)
    for s in sent:
        if s.partition in watermark and s.seconds < watermark[s.partition] - GRACE:
            continue
        if s.article in counted[s.key]:
            continue
        counted[s.key][s.article] = s.seconds
        watermark[s.partition] = max(watermark.get(s.partition, s.seconds), s.seconds)
    return counted


def _seconds(iso: str) -> float:
    return (datetime.fromisoformat(iso) - T0).total_seconds()


def last_per_window(records: list[ConsumerRecord[bytes, bytes]]) -> dict[str, dict]:
    """The last published value of each Kafka key (what compaction keeps)."""
    return {r.key.decode(): orjson.loads(r.value) for r in records if r.key is not None and r.value}


def wrong_windows(records: list[ConsumerRecord[bytes, bytes]], sent: list[Sent]) -> list[str]:
    """Every published window whose last count is not the number of distinct articles in it."""
    articles = expected_articles(sent)
    wrong = []
    for kafka_key, value in last_per_window(records).items():
        start, end = _seconds(value["window_start"]), _seconds(value["window_end"])
        assert end - start == SIZES[value["window"]]
        want = sum(1 for t in articles[value["key"]].values() if start <= t < end)
        if value["count"] != want:
            wrong.append(f"{kafka_key}: published {value['count']}, expected {want}")
    return wrong


def check_keys_and_ids(records: list[ConsumerRecord[bytes, bytes]]) -> None:
    payload_of: dict[bytes, bytes] = {}
    for r in records:
        value = orjson.loads(r.value)
        # Distinct windows never share a Kafka key: the key is the window's key, family and start.
        assert (
            r.key.decode()
            == f"{value['key']}|{value['window']}|{value['window_start'].replace('+00:00', 'Z')}"
        )
        ce_id = dict(r.headers)["ce_id"]
        assert ce_id == value["event_id"].encode()
        # Two messages with different payloads never share a ce_id.
        assert payload_of.setdefault(ce_id, r.value) == r.value, ce_id
        assert value["schema_version"] == "2"


def published(records: list[ConsumerRecord[bytes, bytes]], key: str, window: str, start: float) -> int | None:
    name = f"{key}|{window}|{(T0 + timedelta(seconds=start)).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    value = last_per_window(records).get(name)
    return None if value is None else value["count"]


@pytest.fixture
def worker_env(worker_env: dict[str, str]) -> dict[str, str]:
    return {**worker_env, "NEWSSTREAMS_TRENDING_GRACE": str(GRACE), "NEWSSTREAMS_TRENDING_FLUSH": "0.5"}


async def _two_workers(worker_env: dict[str, str], tmp_path: Path) -> list[Worker]:
    workers = [
        worker_on(worker_env, tmp_path / f"worker-{n}.log", NEWSSTREAMS_DATA_DIR=str(tmp_path / f"data-{n}"))
        for n in range(2)
    ]
    for w in workers:
        await asyncio.to_thread(w.start)
    return workers


def _first_hour(partitions: int = 4) -> list[Sent]:
    """Two keys per partition; articles out of order within grace, repeats, a second version, a late one."""
    sent: list[Sent] = []
    for p in range(partitions):
        a, b = f"person:ada-{p}", f"person:bob-{p}"
        sent += [
            Sent(p, a, f"a{p}-1", 5),
            Sent(p, a, f"a{p}-2", 10),
            Sent(p, b, f"b{p}-1", 15),
            Sent(p, a, f"a{p}-3", 65),  # the next minute
            Sent(p, b, f"b{p}-2", 200),  # moves the partition's watermark to 200 s
            Sent(p, a, f"a{p}-4", 30),  # out of order, within grace: back into the first minute
            Sent(p, a, f"a{p}-1", 5),  # a redelivery
            Sent(p, a, f"a{p}-2", 12, version=2),  # another version: the article still counts once
            Sent(p, b, f"b{p}-3", 1000),  # moves the watermark far on
            Sent(p, a, f"a{p}-5", 40),  # later than the grace period: dropped
            Sent(p, a, f"a{p}-6", 800),  # within grace of 1000 s
        ]
    return sent


async def test_trailing_counts_are_distinct_articles_late_events_drop_and_counts_fall_back(
    kafka: Broker, namespace: str, worker_env: dict[str, str], tmp_path: Path
) -> None:
    workers = await _two_workers(worker_env, tmp_path)
    topic = f"{namespace}news.entities.trending"
    first = _first_hour()
    # An hour later a third key on each partition moves every watermark on: the others fall back.
    later = [Sent(p, f"person:cy-{p}", f"c{p}-1", 4630) for p in range(4)]
    try:
        await _send(kafka.bootstrap, f"{namespace}news.entities", first)
        await _send(kafka.bootstrap, f"{namespace}news.entities", later)
        records = await consume_until(
            kafka.bootstrap,
            [topic],
            lambda rs: (
                # Every fall-back is out (they travel on several partitions of the output topic).
                all(
                    published(rs, f"person:{who}-{p}", "1h", 4680 - 3600) is not None
                    for p in range(4)
                    for who in ("ada", "bob")
                )
                and not wrong_windows(rs, first + later)
            ),
            timeout=120,
        )
    finally:
        for w in workers:
            w.stop()
    assert not wrong_windows(records, first + later)
    check_keys_and_ids(records)
    for p in range(4):
        ada = f"person:ada-{p}"
        assert published(records, ada, "1m", 0) == 3  # 5, 10 and the late 30 s; not 40 s, not twice
        assert published(records, ada, "1m", 60) == 1
        # The trailing hour as it stood at each pane end: ends at 1020 s once 1000 s was seen.
        assert published(records, ada, "1h", 1020 - 3600) == 5  # 5, 10, 30, 65 and 800 s
        # An hour on, the hour ending at 4680 s holds none of Ada's articles: her count fell back to 0.
        assert published(records, ada, "1h", 4680 - 3600) == 0
        bob = f"person:bob-{p}"
        assert published(records, bob, "1h", 1020 - 3600) == 3
        assert published(records, bob, "1h", 4680 - 3600) == 0


async def test_after_a_sigkill_and_restart_every_windows_last_count_is_right_and_the_watermark_holds(
    kafka: Broker, namespace: str, worker_env: dict[str, str], tmp_path: Path
) -> None:
    workers = await _two_workers(worker_env, tmp_path)
    topic = f"{namespace}news.entities.trending"
    # 16 keys, 1,200 articles over 40 minutes of event time, every fifth one 100 s out of order.
    stream = [
        Sent(n % 4, f"person:key-{n % 16}", f"art-{n}", 2 * n - (100 if n % 5 == 0 else 0))
        for n in range(1200)
    ]
    half = len(stream) // 2
    try:
        await _send(kafka.bootstrap, f"{namespace}news.entities", stream[:half])
        await consume_until(kafka.bootstrap, [topic], lambda rs: len(rs) >= 200, timeout=90)
        victim = workers[1]
        assert victim.proc is not None
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(10)
        await _send(kafka.bootstrap, f"{namespace}news.entities", stream[half:])
        victim.log = tmp_path / "worker-1-restarted.log"
        await asyncio.to_thread(victim.start)
        # After the restart, on every partition: an event late against the watermark from before the
        # kill (dropped), and one within grace (counted).
        after = [Sent(p, f"person:key-{p}", f"late-{p}", 1900) for p in range(4)]
        after += [Sent(p, f"person:key-{p}", f"inside-{p}", 2300) for p in range(4)]
        await _send(kafka.bootstrap, f"{namespace}news.entities", after)
        everything = stream + after
        records = await consume_until(
            kafka.bootstrap,
            [topic],
            lambda rs: (
                all(published(rs, f"person:key-{p}", "1m", 2280) is not None for p in range(4))
                and not wrong_windows(rs, everything)
            ),
            timeout=240,
        )
    finally:
        for w in workers:
            w.stop()
    assert not wrong_windows(records, everything)
    check_keys_and_ids(records)
    assert all(f"late-{p}" not in expected_articles(everything)[f"person:key-{p}"] for p in range(4))


async def test_undated_articles_count_by_their_message_time(
    kafka: Broker, worker: Worker, namespace: str
) -> None:
    # An article with no date gives events without published_at: the window takes the Kafka message
    # time instead.
    entity = "person:ada-undated"
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()
    try:
        for n, seconds in ((1, 5), (2, 10), (3, 20)):
            value = orjson.loads(_event(Sent(0, entity, f"undated-{n}", 0)))
            value["published_at"] = None
            stamp = int((T0 + timedelta(seconds=seconds)).timestamp() * 1000)
            await producer.send_and_wait(
                f"{namespace}news.entities", orjson.dumps(value), key=entity.encode(), timestamp_ms=stamp
            )
    finally:
        await producer.stop()
    topic = f"{namespace}news.entities.trending"
    records = await consume_until(
        kafka.bootstrap, [topic], lambda rs: published(rs, entity, "1m", 0) == 3, timeout=90
    )
    assert published(records, entity, "1m", 0) == 3


async def test_topics_are_counted_per_topic_code_whatever_the_article_partition(
    kafka: Broker, worker: Worker, namespace: str
) -> None:
    # Topic events are keyed by article id: the agent regroups them by topic code before counting.
    articles = [(f"topic-article-{n}", 5 + n) for n in range(6)]
    messages = [
        (
            article.encode(),
            to_json(
                TopicEvent(
                    event_id=event_id(article, 1, "test", "topic", "medtop:11000000"),
                    article_id=article,
                    version=1,
                    topic="medtop:11000000",
                    label="politics",
                    score=0.9,
                    rank=1,
                    source="trending.example",
                    published_at=T0 + timedelta(seconds=seconds),
                )
            ),
        )
        for article, seconds in articles + articles[:2]  # two of them delivered twice
    ]
    await produce(kafka.bootstrap, f"{namespace}news.topics", messages)
    topic = f"{namespace}news.entities.trending"
    # The minute and the hour windows are different keys, so possibly different partitions: wait for both.
    records = await consume_until(
        kafka.bootstrap,
        [topic],
        lambda rs: (
            published(rs, "medtop:11000000", "1m", 0) == 6
            and published(rs, "medtop:11000000", "1h", 60 - 3600) == 6
        ),
        timeout=90,
    )
    assert published(records, "medtop:11000000", "1m", 0) == 6
    assert published(records, "medtop:11000000", "1h", 60 - 3600) == 6


def _topic_event(article: str, code: str, seconds: float) -> TopicEvent:
    return TopicEvent(
        event_id=event_id(article, 1, "test", "topic", code),
        article_id=article,
        version=1,
        topic=code,
        label=code,
        score=0.9,
        rank=1,
        source="trending.example",
        published_at=T0 + timedelta(seconds=seconds),
    )


def _wrong_counts(
    records: list[ConsumerRecord[bytes, bytes]], articles: dict[str, dict[str, float]]
) -> list[str]:
    """Every published window of these keys whose last count is not the number of their articles in it."""
    wrong = []
    for name, value in last_per_window(records).items():
        if value["key"] in articles:
            start, end = _seconds(value["window_start"]), _seconds(value["window_end"])
            want = sum(1 for t in articles[value["key"]].values() if start <= t < end)
            if value["count"] != want:
                wrong.append(f"{name}: published {value['count']}, expected {want}")
    return wrong


async def test_a_retraction_takes_its_article_out_of_every_window_that_counted_it(
    kafka: Broker, worker: Worker, namespace: str
) -> None:
    # Three articles name Ada (5, 10 and 70 s), the second also names Bob; topic events of three articles
    # for politics, the second also economy. Then news.entities carries a cancel of the second article's Ada
    # event (keyed by Ada, as enrich sends it), and news.topics one of its politics event (keyed by article).
    ada, bob, politics, economy = "person:ada-kill", "person:bob-kill", "medtop:11000000", "medtop:04000000"
    entities = [Sent(0, ada, "kill-1", 5), Sent(0, ada, "kill-2", 10), Sent(0, bob, "kill-2", 10)]
    entities.append(Sent(0, ada, "kill-3", 70))
    topics = [(f"topic-kill-{n}", politics, 5 * n) for n in (1, 2, 3)] + [("topic-kill-2", economy, 10)]
    before: dict[str, dict[str, float]] = {
        ada: {"kill-1": 5, "kill-2": 10, "kill-3": 70},
        bob: {"kill-2": 10},
        politics: {"topic-kill-1": 5, "topic-kill-2": 10, "topic-kill-3": 15},
        economy: {"topic-kill-2": 10},
    }
    after: dict[str, dict[str, float]] = {
        **before,
        ada: {"kill-1": 5, "kill-3": 70},
        politics: {"topic-kill-1": 5, "topic-kill-3": 15},
    }
    out = f"{namespace}news.entities.trending"
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()
    try:
        for s in entities:  # keyed by entity id, partitioned by key as enrich sends them
            await producer.send_and_wait(f"{namespace}news.entities", _event(s), key=s.key.encode())
        for article, code, seconds in topics:
            await producer.send_and_wait(
                f"{namespace}news.topics", to_json(_topic_event(article, code, seconds)), key=article.encode()
            )
        # Before: Ada's minute 0 holds 2 articles, the hours ending 60 s and 120 s 2 and 3; politics 3 and 3.
        counted = {(ada, "1m", 0): 2, (ada, "1h", 60 - 3600): 2, (ada, "1h", 120 - 3600): 3}
        counted |= {(politics, "1m", 0): 3, (politics, "1h", 60 - 3600): 3}
        first = await consume_until(
            kafka.bootstrap,
            [out],
            lambda rs: (
                all(published(rs, *w) == n for w, n in counted.items()) and not _wrong_counts(rs, before)
            ),
            timeout=90,
        )
        assert all(published(first, *w) == n for w, n in counted.items())
        two_hours_on = T0 + timedelta(hours=2)  # a late kill: no window is late for it, no watermark moves
        withdrawals = [  # (topic, Kafka key, kind, entity id, topic code, article)
            (f"{namespace}news.entities", ada, "entity", ada, None, "kill-2"),
            (f"{namespace}news.topics", "topic-kill-2", "topic", None, politics, "topic-kill-2"),
        ]
        for topic, key, kind, entity_id, iptc, article in withdrawals:
            withdrawn = event_id(article, 1, "test", kind, entity_id or iptc)
            retraction = Retraction(
                event_id=event_id("retraction", withdrawn),
                retracts=withdrawn,
                article_id=article,
                kind=kind,
                reason="canceled",
                entity_id=entity_id,
                topic=iptc,
                retracted_at=two_hours_on,
            )
            headers = list(cloudevent_headers(retraction).items())
            await producer.send_and_wait(topic, to_json(retraction), key=key.encode(), headers=headers)
    finally:
        await producer.stop()
    # After: each window that counted the withdrawn article one less; every other window as it was.
    dropped = {window: n - 1 for window, n in counted.items()}
    records = await consume_until(
        kafka.bootstrap,
        [out],
        lambda rs: all(published(rs, *w) == n for w, n in dropped.items()) and not _wrong_counts(rs, after),
        timeout=90,
    )
    assert all(published(records, *w) == n for w, n in dropped.items())
    assert not _wrong_counts(records, after)
    assert published(records, ada, "1m", 60) == 1 and published(records, bob, "1m", 0) == 1
    assert published(records, economy, "1m", 0) == 1
    # The retractions moved no watermark: no window ends after the pane of the newest event (70 s).
    ends = {_seconds(v["window_end"]) for v in last_per_window(records).values()}
    assert max(ends) == 120
    check_keys_and_ids(records)
