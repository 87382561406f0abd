"""The worker's reader of news.people.learned: every partition from the start, folded into `KnownPeople`."""

from __future__ import annotations

import asyncio
import itertools
import logging

from aiokafka import TopicPartition

from streams.enrichment.people import KnownPeople
from streams.kafka.clients import consumer
from streams.kafka.clients import partitions as kafka_partitions
from streams.settings import Settings

log = logging.getLogger(__name__)


async def follow(settings: Settings, topic: str, known: KnownPeople, caught_up: asyncio.Event) -> None:
    """Read every partition of `topic` from the beginning into `known`, for as long as the worker runs.

    `caught_up` is set once everything that was on the topic when this started has been read.
    """
    client = consumer(settings, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest")
    await client.start()
    try:
        # The worker declares its topics before it starts; metadata may still take a moment to list them.
        numbers: list[int] = []
        for _ in itertools.count():
            if numbers := (await kafka_partitions(settings, [topic])).get(topic, []):
                break
            await asyncio.sleep(0.5)
        partitions = [TopicPartition(topic, n) for n in numbers]
        client.assign(partitions)
        await client.seek_to_beginning(*partitions)
        ends = await client.end_offsets(partitions)
        while True:
            if not caught_up.is_set():
                positions = [await client.position(tp) for tp in partitions]
                if all(position >= ends[tp] for tp, position in zip(partitions, positions, strict=True)):
                    log.info("known people: %d sources read from %s", len(known), topic)
                    caught_up.set()
            batches = await client.getmany(timeout_ms=500)
            for messages in batches.values():
                for message in messages:
                    try:
                        known.apply(message.value, message.key)
                    except (ValueError, KeyError, TypeError) as exc:
                        log.warning(
                            "skipped a malformed message on %s at offset %d: %s", topic, message.offset, exc
                        )
    finally:
        await client.stop()
