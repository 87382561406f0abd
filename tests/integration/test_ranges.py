"""The one range reader (replay, diff) on the real broker, including offsets retention has deleted."""

from __future__ import annotations

import time

import pytest
from aiokafka import TopicPartition
from aiokafka.admin import NewTopic, RecordsToDelete

from streams.kafka import clients, ranges
from streams.settings import Settings
from tests.integration.conftest import Broker

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]


async def _topic_with_deleted_head(settings: Settings, topic: str) -> None:
    """Two partitions: ten records on 0, of which 0-4 are deleted; three on 1."""
    admin = clients.admin(settings)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
        producer = clients.producer(settings)
        await producer.start()
        try:
            for i in range(10):
                await producer.send_and_wait(topic, f"p0-{i}".encode(), partition=0)
            for i in range(3):
                await producer.send_and_wait(topic, f"p1-{i}".encode(), partition=1)
        finally:
            await producer.stop()
        low = await admin.delete_records({TopicPartition(topic, 0): RecordsToDelete(5)})
        assert low == {TopicPartition(topic, 0): 5}
    finally:
        await admin.close()


async def test_an_offset_below_the_log_start_reads_from_the_log_start(kafka: Broker, namespace: str) -> None:
    settings = Settings(broker=f"kafka://{kafka.bootstrap}")
    topic = f"{namespace}range"
    await _topic_with_deleted_head(settings, topic)
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)

    read = await ranges.read(settings, [topic], offsets={tp0: 2})
    assert read.starts == {tp0: 5, tp1: 0}
    assert read.ends == {tp0: 10, tp1: 3}
    assert [r.value for r in read.records] == [f"p0-{i}".encode() for i in range(5, 10)] + [
        f"p1-{i}".encode() for i in range(3)
    ]

    # From the beginning: the log start; an offset within the log is kept; a missing topic reads nothing.
    whole = await ranges.read(settings, [topic, f"{namespace}missing"], offsets={tp1: 2})
    assert whole.starts == {tp0: 5, tp1: 2} and len(whole.records) == 6


async def test_a_time_range_starts_at_the_first_record_at_or_after_it(kafka: Broker, namespace: str) -> None:
    settings = Settings(broker=f"kafka://{kafka.bootstrap}")
    topic = f"{namespace}times"
    now = int(time.time() * 1000)
    producer = clients.producer(settings)
    await producer.start()
    try:
        for n, ago in enumerate((3_000, 2_000, 1_000)):
            await producer.send_and_wait(topic, f"m{n}".encode(), partition=0, timestamp_ms=now - ago)
    finally:
        await producer.stop()
    read = await ranges.read(settings, [topic], since_ms=now - 2_000)
    assert [r.value for r in read.records] == [b"m1", b"m2"]
    later = await ranges.read(settings, [topic], since_ms=now + 60_000)
    assert later.records == [] and later.starts == later.ends  # nothing that late: every partition done


async def test_in_order_merges_partitions_by_broker_time_and_keeps_each_partitions_order(
    kafka: Broker, namespace: str
) -> None:
    settings = Settings(broker=f"kafka://{kafka.bootstrap}")
    topic = f"{namespace}merge"
    now = int(time.time() * 1000)
    # By hand: partition 0 at t+0, t+30, t+20 (its third record older than its second: a feed's clock
    # went back), partition 1 at t+10, t+40. Merged by time, each partition in offset order:
    # a0 (0) b0 (10) a1 (30: a2 cannot overtake it) a2 (20) b1 (40).
    sends = [("a0", 0, 0), ("a1", 0, 30), ("a2", 0, 20), ("b0", 1, 10), ("b1", 1, 40)]
    admin = clients.admin(settings)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    finally:
        await admin.close()
    producer = clients.producer(settings)
    await producer.start()
    try:
        for value, partition, at in sends:
            await producer.send_and_wait(topic, value.encode(), partition=partition, timestamp_ms=now + at)
    finally:
        await producer.stop()
    async with ranges.RangeReader(settings, [topic]) as reader:
        got = [r.value async for r in reader.in_order()]
        assert reader.bounds.total() == 5 and reader.bounds.deleted() == {}
    assert got == [b"a0", b"b0", b"a1", b"a2", b"b1"]


async def test_the_reader_reports_a_requested_offset_retention_deleted(kafka: Broker, namespace: str) -> None:
    settings = Settings(broker=f"kafka://{kafka.bootstrap}")
    topic = f"{namespace}deleted"
    await _topic_with_deleted_head(settings, topic)
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    async with ranges.RangeReader(settings, [topic], offsets={tp0: 2, tp1: 1}) as reader:
        got = [r.value async for r in reader.in_order()]
        # Partition 0's offsets 2-4 are gone: reported as (asked, log start); partition 1's offset 1 is not.
        assert reader.bounds.deleted() == {tp0: (2, 5)}
    assert sorted(got) == sorted([f"p0-{i}".encode() for i in range(5, 10)] + [b"p1-1", b"p1-2"])
