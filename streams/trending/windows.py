"""Trending: trailing minute and hour counts of entity and topic mentions, coalesced per flush, for dashboards.

Each agent reads its input in batches held at most `trending_flush` seconds; per input partition the batch
goes through `panes.PartitionWindows` (pure), the flush's segment is written to the changelog once, each
changed window is published once, and only then are the batch's inputs acked (Faust commits acked offsets
after flushing the producer, so a commit never covers a flush that did not reach Kafka). A Retraction on an
input topic takes its article's contribution back out (`inputs`, `panes`), and the windows it changed are
published again like any others.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, cast

import faust

from streams.events import flow
from streams.events.flow import Outgoing, Topics, internal_config
from streams.events.records import (
    TRENDING_SCHEMA_VERSION,
    EntityEvent,
    Retraction,
    TopicEvent,
    TrendingCount,
    event_id,
)
from streams.settings import Settings
from streams.trending.inputs import WithRetractions, contribution, retracted_key
from streams.trending.panes import Contribution, PartitionWindows, WindowCount
from streams.trending.store import Segments
from streams.worker.delivery import Delivery

# Inputs taken in one flush at most (a backlog): bounds the memory a flush holds.
MAX_BATCH = 5_000


def rising(count: int, previous: int) -> float:
    """-1 (gone) … 0 (steady) … 1 (new): how fast a key rises against the window before."""
    return 0.0 if count + previous == 0 else round((count - previous) / (count + previous), 4)


def kafka_key(window: WindowCount) -> str:
    """Key + family + start: each window its own compacted record (a key's windows never collide)."""
    return f"{window.key}|{window.family.name}|{_iso(window.start)}"


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def trending_event(window: WindowCount, pipeline_version: str) -> TrendingCount:
    """The published count of one window; its id is a hash of the payload, so it is unique per payload
    and a restart that recomputes the same count reissues the same id."""
    fields: dict[str, Any] = {
        "key": window.key,
        "kind": window.kind,
        "name": window.name,
        "window": window.family.name,
        "window_start": datetime.fromtimestamp(window.start, UTC),
        "window_end": datetime.fromtimestamp(window.start + window.family.size, UTC),
        "count": window.count,
        "previous_count": window.previous,
        "rising": rising(window.count, window.previous),
        "schema_version": TRENDING_SCHEMA_VERSION,
        "pipeline_version": pipeline_version,
    }
    return TrendingCount(event_id=event_id("trending", *(f"{k}={v}" for k, v in fields.items())), **fields)


class Flusher:
    """One agent's trending state, per input partition, and the flush of one batch."""

    def __init__(
        self,
        source: str,
        segments: Segments,
        settings: Settings,
        send: Callable[[Outgoing], Awaitable[None]],
        on_late: Callable[[int], None],
    ) -> None:
        self.source = source
        self.segments = segments
        self.settings = settings
        self.send = send
        self.on_late = on_late
        self.states: dict[int, PartitionWindows] = {}

    def state(self, partition: int, first: faust.EventT) -> PartitionWindows:
        """The partition's state; rebuilt from its saved segments when the input did not go on from where
        it stood (first batch after a start or rebalance, a seek back): inputs from `first` on were not
        committed and count when they come again."""
        state = self.states.get(partition)
        resume_at = first.message.offset
        if state is None or state.next_offset != resume_at:
            saved = self.segments.load(self.source, partition)
            state, dropped = PartitionWindows.rebuild(self.settings.trending_grace, saved, resume_at)
            with self.segments.writing(first):
                for seq in dropped:
                    self.segments.delete(self.source, partition, seq)
            self.states[partition] = state
        return state

    async def flush(
        self, events: list[faust.EventT], contributions: Callable[[faust.EventT], Iterable[Contribution]]
    ) -> int:
        """Count a batch, save one segment per input partition, publish each changed window once;
        returns the windows published."""
        by_partition: dict[int, list[faust.EventT]] = {}
        for event in events:
            by_partition.setdefault(event.message.partition, []).append(event)
        windows: list[WindowCount] = []
        for partition, part in by_partition.items():
            state = self.state(partition, part[0])
            done = state.apply(c for event in part for c in contributions(event))
            with self.segments.writing(part[-1]):
                if done.segment is not None:
                    self.segments.put(self.source, partition, done.segment)
                for seq in state.expired_segments():
                    self.segments.delete(self.source, partition, seq)
            if done.late:
                self.on_late(done.late)
            windows += done.windows
        for window in windows:
            out = trending_event(window, self.settings.pipeline_version)
            await self.send(Outgoing(flow.TRENDING, kafka_key(window), out))
        return len(windows)


def register(app: faust.App, topics: Topics, settings: Settings, delivery: Delivery) -> None:
    """Add the trending state table and agents to `app`."""

    def on_late(kind: str, n: int) -> None:
        delivery.metrics.trending_late.labels(kind).inc(n)

    segments = Segments(
        app.Table(
            "trending-panes",
            default=None,
            partitions=settings.partitions,
            store=settings.trending_store,
            options=settings.table_options(settings.trending_store),
            extra_topic_configs=internal_config(settings),
        )
    )

    async def run(stream: faust.StreamT, kind: str) -> None:
        flusher = Flusher(kind, segments, settings, delivery.send, lambda n: on_late(kind, n))

        def contributions(event: faust.EventT) -> list[Contribution]:
            made = contribution(kind, event)
            return [] if made is None else [made]

        # noack: a batch's inputs are acked once its flush is sent (take_events would ack them earlier).
        batches = cast(Any, stream).noack_take(MAX_BATCH, within=settings.trending_flush)
        async for events in batches:
            await flusher.flush(events, contributions)
            for event in events:
                await stream.ack(event)

    # EntityEvent or Retraction (keyed by entity id) ──count──► TrendingCount per entity, window family and
    # start. The same topic as the flow's, read through a schema that knows both shapes.
    entities = topics.entities.derive(schema=WithRetractions(EntityEvent))

    @app.agent(entities, name="trending-entities")
    async def trending_entities(stream: faust.StreamT[EntityEvent | Retraction]) -> None:
        await run(stream, "entity")

    # TopicEvent or Retraction (keyed by article id) ──re-keyed by topic code──► an internal topic, so every
    # event of one code meets one partition's state, a retraction after the event it withdraws (one article's
    # events are in order on its partition, and go on in that order). (Faust's group_by stream delivered
    # nothing to a batched take.)
    by_code = app.topic(
        f"{settings.app_id}-trending-topics-by-code-repartition",
        schema=WithRetractions(TopicEvent),
        partitions=settings.partitions,
        internal=True,
        config=internal_config(settings),
    )

    @app.agent(topics.topics.derive(schema=WithRetractions(TopicEvent)), name="trending-topics-by-code")
    async def regroup_topics(stream: faust.StreamT[TopicEvent | Retraction]) -> None:
        async for event in stream.events():
            value = event.value
            code = retracted_key("topic", value) if isinstance(value, Retraction) else value.topic
            if code is None:
                continue  # withdraws no topic event: nothing trending counted
            # The message time goes along: it is an undated article's event time.
            await by_code.send(key=code, value=value, timestamp=event.message.timestamp)

    # TopicEvent or Retraction (keyed by topic code) ──count──► TrendingCount per IPTC topic, window family
    # and start
    @app.agent(by_code, name="trending-topics")
    async def trending_topics(stream: faust.StreamT[TopicEvent | Retraction]) -> None:
        await run(stream, "topic")
