"""The cleaning feature in the worker: intake re-keys raw articles by source, clean runs the stage."""

from __future__ import annotations

from typing import Any, cast

import faust
from aiokafka.errors import MessageSizeTooLargeError
from faust.exceptions import ProducerSendError

from streams.cleaning import syndication
from streams.cleaning.stage import State, clean_hop, intake, state_expiry
from streams.cleaning.syndication import SyndicationIndex
from streams.events.errors import Reason, Rejected
from streams.events.flow import Outgoing, Topics, internal_config
from streams.events.records import RawArticle, SyndicationHop
from streams.kills.gate import is_kill, kill_input, tombstone_input
from streams.settings import Settings
from streams.worker.delivery import ORIGIN_KEY, ORIGIN_TOPIC, Delivery
from streams.worker.tables import as_event

# Hops taken in one batch at most (a backlog): bounds what one flush holds, and one segment's size.
SYNDICATION_BATCH = 500


def _kill_to_gate(event: faust.EventT, raw: RawArticle | None, settings: Settings) -> Outgoing | None:
    """A kill intake sends straight to the article's gate partition: a tombstone (the feed deleted the
    article), or a kill message naming no source to re-key by. Kills with a source go by the clean stage,
    which clears a withheld article's content so the feed can lift the withhold by sending it again."""
    received = float(event.message.timestamp)
    if raw is None:
        if not event.key:
            raise Rejected(Reason.MISSING_FIELD, "a tombstone needs the article id as its key")
        return tombstone_input(event.key.decode("utf-8", "replace"), received, settings.pipeline_version)
    if is_kill(raw) and not raw.source:
        return kill_input(raw, received, settings.pipeline_version)
    return None


def register(app: faust.App, topics: Topics, settings: Settings, delivery: Delivery) -> None:
    """Add the clean stage's tables and the intake, clean and syndication agents to `app`."""
    if settings.state_days < 30:
        # The raw topic keeps 30 days: a kill or correction replayed from it must find the versions.
        raise ValueError(f"NEWSSTREAMS_STATE_DAYS={settings.state_days} is below the raw topic's 30 days")
    metrics = delivery.metrics

    def table(name: str) -> Any:
        return app.Table(
            name,
            partitions=settings.partitions,
            default=None,
            options=settings.table_options(),
            extra_topic_configs=internal_config(settings),
        )

    state = State(versions=table("clean-article-versions"), learned=table("clean-learned-boilerplate"))
    # Co-partitioned with news.articles.syndication: partition p's entries are written while p's hops are
    # processed, so they move with it on a rebalance.
    index = SyndicationIndex(table("syndication"), settings.syndication_days)

    # raw bytes ──intake──► the same bytes keyed by source (bad input ──► dead letter)
    @app.agent(topics.raw, name="intake")
    async def intake_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            try:
                with metrics.timed("intake"):
                    raw = None if event.value is None else intake(event.value, settings)
                    kill = _kill_to_gate(event, raw, settings)
            except Exception as exc:  # one bad message never stops the agent
                await delivery.refuse("intake", exc, event)
                continue
            if kill is not None:
                await delivery.send(kill)
                metrics.messages.labels("intake", "kill").inc()
                continue
            assert raw is not None
            # The re-keyed copy remembers where it came from, for any dead letter the clean stage writes.
            try:
                await topics.raw_by_source.send(
                    key=raw.source.encode("utf-8"),
                    value=event.value,
                    headers={ORIGIN_KEY: event.key or b"", ORIGIN_TOPIC: event.message.topic.encode("utf-8")},
                    # When the article reached Kafka: syndication takes the earliest-seen copy as original.
                    timestamp=event.message.timestamp,
                )
            except ProducerSendError as exc:
                if not isinstance(exc.__cause__, MessageSizeTooLargeError):
                    raise
                await delivery.refuse("intake", Rejected(Reason.TOO_LARGE, str(exc.__cause__)), event)
                continue
            metrics.messages.labels("intake", "ok").inc()

    expiry = state_expiry(state, settings)
    clean_next: dict[int, int] = {}

    # raw bytes by source ──clean──► SyndicationHop to its first band's partition
    @app.agent(topics.raw_by_source, name="clean")
    async def clean_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            partition, offset = event.message.partition, event.message.offset
            try:
                # Validated by intake already; parsing again here is ~50 µs and keeps the
                # original bytes on this topic for any dead letter this stage writes.
                with metrics.timed("clean"):
                    if clean_next.get(partition) != offset:
                        # A start, a rebalance or a seek: the watermark is read again from the tables.
                        expiry.load(partition)
                    clean_next[partition] = offset + 1
                    origin = f"{partition}:{offset}"
                    raw = intake(event.value, settings)
                    seen = float(event.message.timestamp)
                    outputs = clean_hop(raw, settings, state, origin, seen, partition)
            except Exception as exc:
                await delivery.refuse("clean", exc, event)
                continue
            if await delivery.send_all("clean", outputs, event):
                metrics.messages.labels("clean", "ok" if outputs else "unchanged").inc()

    register_syndication(app, topics, settings, delivery, index)


def register_syndication(
    app: faust.App, topics: Topics, settings: Settings, delivery: Delivery, index: SyndicationIndex
) -> None:
    """Add the syndication agent, which checks hops in batches against `index` (table `syndication`)."""
    metrics = delivery.metrics
    next_offset: dict[int, int] = {}

    def step(event: faust.EventT) -> Outgoing | Exception:
        partition, offset = event.message.partition, event.message.offset
        try:
            with metrics.timed("syndication"), as_event(event):
                if next_offset.get(partition) != offset:
                    # A start, a rebalance or a seek: the table may hold what another worker wrote.
                    index.load(partition)
                next_offset[partition] = offset + 1
                return syndication.step(
                    index, partition, cast(SyndicationHop, event.value), settings.partitions
                )
        except Exception as exc:
            return exc

    # SyndicationHop ──check its bands here──► the next band partition's hop, or after the last one
    # CleanArticle keyed by article id (duplicate_of the earliest-seen near-copy)
    @app.agent(topics.syndication, name="syndication")
    async def syndication_agent(stream: faust.StreamT[SyndicationHop]) -> None:
        # Hops in batches, acked by hand: what a batch registered in a partition is saved as one table
        # value (a segment) before its hops are acked. faust-streaming 0.15.3: a table write is a
        # `send_soon` into the producer's buffer (tables/base.py send_changelog), and Consumer._commit_offsets
        # awaits `app.producer.flush()`, which drains that buffer, before it commits acked offsets: a commit
        # never covers a segment not in Kafka. A restart or rebalance mid-batch redelivers the uncommitted
        # hops; a hop registered already (its segment saved) changes nothing (`visit` is idempotent).
        batches = cast(Any, stream).noack_take(SYNDICATION_BATCH, within=settings.syndication_flush)
        async for events in batches:
            results = [step(event) for event in events]
            last = {event.message.partition: event for event in events}
            for partition, event in last.items():
                with as_event(event):  # the segment goes to the changelog partition of the hops' partition
                    index.flush(partition)
            for event, out in zip(events, results, strict=True):
                if isinstance(out, Exception):
                    await delivery.refuse("syndication", out, event)
                elif await delivery.send_all("syndication", [out], event):
                    metrics.messages.labels("syndication", "ok").inc()
            for event in events:
                await stream.ack(event)
