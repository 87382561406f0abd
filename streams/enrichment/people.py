"""Each enrich worker's memory of every source's people, folded from news.people.learned.

Clean articles are spread over partitions by article id, so the articles of one source meet different
workers. Each worker reads every partition of news.people.learned (no consumer group) into a
`KnownPeople`; the merge is commutative and idempotent, so workers that read the same updates in any
order, or twice after a crash, know the same people. A worker also learns from its own articles at once,
before their updates come back from Kafka.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Mapping

import orjson
from aiokafka import TopicPartition

from streams.enrichment.entities import merge_people
from streams.kafka.clients import consumer
from streams.kafka.clients import partitions as kafka_partitions
from streams.settings import Settings

log = logging.getLogger(__name__)


class KnownPeople:
    """Source → (lower-case surname → full name), as every article of that source so far taught it."""

    def __init__(self) -> None:
        self._by_source: dict[str, dict[str, str]] = {}

    def get(self, source: str) -> dict[str, str]:
        """A copy of what is known of one source's people."""
        return dict(self._by_source.get(source) or {})

    def learn(self, source: str, learned: Mapping[str, str]) -> None:
        if learned:
            self._by_source[source] = merge_people(self._by_source.get(source) or {}, learned)

    def apply(self, value: bytes) -> None:
        """Fold one news.people.learned message (a PeopleLearned event as JSON) in."""
        event = orjson.loads(value)
        source, people = event["source"], event["people"]
        if not isinstance(source, str) or not isinstance(people, dict):
            raise ValueError("a PeopleLearned event needs a string source and a people object")
        self.learn(source, {k: v for k, v in people.items() if isinstance(k, str) and isinstance(v, str)})

    def __len__(self) -> int:
        return len(self._by_source)


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
                        known.apply(message.value or b"")
                    except (ValueError, KeyError, TypeError) as exc:
                        log.warning(
                            "skipped a malformed message on %s at offset %d: %s", topic, message.offset, exc
                        )
    finally:
        await client.stop()
