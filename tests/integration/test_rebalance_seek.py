"""The seek after a rebalance, on the real broker: a partition with nothing committed goes back to its start.

aiokafka's own `seek_to_committed` moves only partitions whose committed offset is above 0, so records the
consumer had fetched (and Faust had dropped, as fetched in the previous generation) were never read again.
"""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import OffsetAndMetadata, TopicPartition

from streams.worker.rebalance import seek_to_committed_or_beginning
from tests.integration.conftest import Broker

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]


async def read_to_end(consumer: AIOKafkaConsumer, tps: list[TopicPartition], end: int = 10) -> None:
    """Fetch (and drop) records until each partition's position is `end`, as a consumer fetches ahead."""
    for _ in range(40):
        positions = [await consumer.position(tp) for tp in tps]
        if min(positions) >= end:
            return
        await consumer.getmany(*tps, timeout_ms=500)
    raise AssertionError(f"positions {positions}, not {end}")


async def test_uncommitted_stream_partitions_go_back_to_their_beginning(
    kafka: Broker, namespace: str
) -> None:
    stream, changelog, committed_zero, committed_four = (
        TopicPartition(f"{namespace}{name}", 0) for name in ("stream", "changelog", "zero", "four")
    )
    tps = [stream, changelog, committed_zero, committed_four]
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()
    try:
        for tp in tps:
            for n in range(10):
                await producer.send_and_wait(tp.topic, str(n).encode(), partition=tp.partition)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap,
        group_id=f"{namespace}group",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.commit(
            {committed_zero: OffsetAndMetadata(0, ""), committed_four: OffsetAndMetadata(4, "")}
        )
        await read_to_end(consumer, tps)
        assert [await consumer.position(tp) for tp in tps] == [10, 10, 10, 10]

        # aiokafka alone: only the partition committed at 4 moves; the records of the others are skipped.
        await consumer.seek_to_committed()
        assert [await consumer.position(tp) for tp in tps] == [10, 10, 10, 4]

        await read_to_end(consumer, [committed_four])
        committed = await seek_to_committed_or_beginning(consumer, lambda topic: topic != changelog.topic)
        assert committed == {stream: None, changelog: None, committed_zero: 0, committed_four: 4}
        # Stream partitions without a commit (or committed at 0) start again from their first record;
        # the changelog, positioned by table recovery and never committed, is left where it was.
        assert [await consumer.position(tp) for tp in tps] == [0, 10, 0, 4]
    finally:
        await consumer.stop()
