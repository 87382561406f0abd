"""Producing to and consuming from the real broker in tests, with plain aiokafka clients."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord


async def produce(bootstrap: str, topic: str, messages: Iterable[tuple[bytes | None, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


async def consume_until(
    bootstrap: str,
    topics: list[str],
    done: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    timeout: float = 90.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read `topics` from the beginning until `done(records)` or the timeout; returns what was read."""
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + timeout
    try:
        while not done(records) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return records


def values(records: list[ConsumerRecord[bytes, bytes]], topic: str) -> list[dict]:
    return [orjson.loads(r.value) for r in records if r.topic == topic and r.value is not None]
