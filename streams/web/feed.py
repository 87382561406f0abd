"""The dashboard's Kafka feed: the public downstream topics read from the start into the dashboard state."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord

from streams.events import flow
from streams.kafka.clients import consumer
from streams.settings import Settings
from streams.web.state import DashboardState, Hub

log = logging.getLogger(__name__)

TOPICS = tuple(spec.name for spec in flow.DOWNSTREAM)


# ---- the Kafka side ----------------------------------------------------------------------------


@dataclass
class Feed:
    """Turns consumer records into state updates; owns what the consumer must know about positions."""

    settings: Settings
    state: DashboardState
    hub: Hub
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    status: str = "starting"
    malformed: int = 0
    assigned: int = 0  # partitions this dashboard reads now
    # Of all partitions of its topics: fewer means another member of the group reads the rest, and
    # this page shows part of the news (dashboard replicas each need everything).
    available: int = 0

    def topic_name(self, full: str) -> str:
        prefix = self.settings.topic_prefix
        return full[len(prefix) :] if prefix and full.startswith(prefix) else full

    def take(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """One record: decode, apply to the state, push what changed."""
        self.positions[TopicPartition(record.topic, record.partition)] = record.offset
        topic = self.topic_name(record.topic)
        if record.value is None:  # a tombstone: on the article store, a killed article
            key = record.key.decode("utf-8", "replace") if record.key else ""
            self.hub.publish(self.state.tombstone(topic, key))
            return
        try:
            event = orjson.loads(record.value)
        except orjson.JSONDecodeError:
            self.malformed += 1
            return
        self.hub.publish(self.state.apply(topic, event, ce_type=header(record, "ce_type")))


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    """A CloudEvents header's value (the worker's binary mode); None when the record has none."""
    for key, value in record.headers or ():
        if key == name and value is not None:
            return value.decode("utf-8", "replace")
    return None


class _Rewind(ConsumerRebalanceListener):
    """State lives in memory only, so a new assignment starts at the beginning, or where we left it."""

    def __init__(self, feed: Feed, kafka: AIOKafkaConsumer) -> None:
        self.feed, self.kafka = feed, kafka

    async def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.feed.assigned = len(assigned)
        topics = self.kafka.subscription()
        self.feed.available = sum(len(self.kafka.partitions_for_topic(t) or ()) for t in topics)
        fresh = [tp for tp in assigned if tp not in self.feed.positions]
        if fresh:
            await self.kafka.seek_to_beginning(*fresh)
        for tp in assigned:
            if tp in self.feed.positions:
                self.kafka.seek(tp, self.feed.positions[tp] + 1)


async def consume(feed: Feed, *, retry: float = 5.0) -> None:
    """Read the downstream topics from the earliest offset into `feed` until cancelled."""
    settings = feed.settings
    while True:
        kafka = consumer(
            settings,
            group_id=f"{settings.app_id}-dashboard",
            client_id=f"{settings.app_id}-dashboard",
            auto_offset_reset="earliest",
            # Offsets are never committed: a restarted dashboard has empty memory and needs the history.
            enable_auto_commit=False,
            # Topics created after start (by the worker) are picked up within seconds, not minutes.
            metadata_max_age_ms=5_000,
        )
        kafka.subscribe([settings.topic(name) for name in TOPICS], listener=_Rewind(feed, kafka))
        try:
            await kafka.start()
            feed.status = "consuming"
            while True:
                batches = await kafka.getmany(timeout_ms=1_000, max_records=500)
                for records in batches.values():
                    for record in records:
                        feed.take(record)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the broker being away must not take the web side down
            # The open /health page shows the status: the error text (hosts, TLS and SASL details) goes
            # to the log only.
            feed.status = "broker unreachable"
            log.warning("dashboard consumer failed, retrying in %.0fs: %s", retry, exc)
        finally:
            await kafka.stop()
        await asyncio.sleep(retry)
