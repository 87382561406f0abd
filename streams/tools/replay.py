"""Replay: reprocess news.articles.raw (all, a time range or offsets) into live or side topics."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndMetadata
from tqdm import tqdm

from streams.cleaning.stage import State
from streams.enrichment.enrich import Enricher
from streams.events import flow
from streams.events.records import to_json
from streams.kafka import ranges
from streams.kafka.admin import apply
from streams.kafka.clients import active_members, consumer, producer
from streams.kills.gate import load_kills
from streams.settings import Settings
from streams.tools import process


class ReplayRefused(Exception):
    """The replay would race a running worker: its consumer group has active members."""


@dataclass
class Summary:
    read: int = 0
    events: Counter[str] = field(default_factory=Counter)
    # Partitions whose requested start retention had deleted: partition → (offset asked, log start).
    deleted: dict[int, tuple[int, int]] = field(default_factory=dict)
    partial: bool = False  # a time or offset range: the state starts empty at its start
    kills: int = 0  # kills read from news.articles.kills before the range

    def describe(self) -> str:
        per_topic = ", ".join(f"{t}: {n}" for t, n in sorted(self.events.items())) or "nothing"
        lines = [f"replayed {self.read} raw message(s) → {per_topic}"]
        if self.kills:
            lines.append(f"{self.kills} withdrawn article(s) on news.articles.kills were honoured")
        for partition, (asked, start) in sorted(self.deleted.items()):
            lines.append(
                f"partition {partition}: offsets {asked}–{start - 1} were deleted by retention; "
                f"replayed from the log start, {start}"
            )
        if self.partial:
            lines.append(
                "state built from the replayed range only: article versions, learned boilerplate, "
                "syndication and learned people start empty at its start, so an article first seen before it "
                "comes out as version 1 and copies of earlier originals are not flagged"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class RawMessage:
    key: bytes | None
    value: bytes | None  # None: a tombstone (a kill)
    timestamp_ms: int
    partition: int
    offset: int


# Raw messages processed and sent per step: what a replay holds in memory besides its state.
CHUNK = 256


def _range(settings: Settings, since: datetime | None, offsets: dict[int, int] | None) -> ranges.RangeReader:
    topic = settings.topic(flow.RAW.name)
    return ranges.RangeReader(
        settings,
        [topic],
        since_ms=int(since.timestamp() * 1000) if since else None,
        offsets={TopicPartition(topic, p): o for p, o in (offsets or {}).items()},
    )


async def stream_raw(reader: ranges.RangeReader, until: datetime | None = None) -> AsyncIterator[RawMessage]:
    """The raw messages in range (tombstones too: they are kills), merged across partitions by broker time,
    each partition in its offset order: the order the feed published in, repeatable run to run, and an
    article's versions in the order they were sent."""
    limit_ms = int(until.timestamp() * 1000) if until else None
    async for r in reader.in_order():
        if limit_ms is None or r.timestamp <= limit_ms:
            yield RawMessage(r.key, r.value, r.timestamp, r.partition, r.offset)


async def replay(
    settings: Settings,
    *,
    suffix: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    offsets: dict[int, int] | None = None,
    progress: bool = True,
    on_step: Callable[[Summary], None] | None = None,
) -> Summary:
    """Reprocess raw messages with this pipeline and publish the outputs, streaming: CHUNK messages are
    read, processed and sent (and the sends acknowledged) before the next are read, so memory holds the
    pipeline's state and one chunk, whatever the range's size.

    With a `suffix` the outputs go to side topics (`news.quotes.v2`, …) for comparison and no consumer
    group is touched. Without one they go to the live topics under `settings.pipeline_version`, and the
    worker group's offsets on the raw topic move to where the replay ended, so a worker started with the
    new pipeline goes on from there; that is refused while the group has active members.
    """
    group = settings.app_id
    if not suffix and await active_members(settings, group):
        raise ReplayRefused(f"consumer group {group!r} has active members: stop its workers first")
    await apply(settings, suffix=suffix)
    summary = Summary(partial=since is not None or bool(offsets))
    state, enricher = State(), None
    # Every kill ever made, whatever the range: a withdrawn article is never published again.
    summary.kills = await read_kills(settings, state)
    client = producer(settings, linger_ms=5)
    await client.start()
    try:
        async with _range(settings, since, offsets) as reader:
            summary.deleted = {tp.partition: v for tp, v in reader.bounds.deleted().items()}
            bar = tqdm(total=reader.bounds.total(), disable=not progress, unit="msg", desc="replay")
            chunk: list[RawMessage] = []
            async for message in stream_raw(reader, until):
                chunk.append(message)
                if len(chunk) >= CHUNK:
                    enricher = await _step(client, chunk, settings, state, enricher, suffix, summary)
                    bar.update(len(chunk))
                    if on_step is not None:
                        on_step(summary)
                    chunk = []
            enricher = await _step(client, chunk, settings, state, enricher, suffix, summary)
            bar.update(len(chunk))
            bar.close()
    finally:
        await client.stop()
    if not suffix:
        await _commit_group(settings, group, reader.bounds.ends)
    return summary


async def _step(
    client: Any,
    chunk: list[RawMessage],
    settings: Settings,
    state: State,
    enricher: Enricher | None,
    suffix: str,
    summary: Summary,
) -> Enricher | None:
    """Process one chunk (in a thread: the producer's sender keeps running) and send its outputs; returns
    the enricher, loaded on the first chunk that has an article to enrich."""
    if not chunk:
        return enricher
    if enricher is None:
        enricher = await asyncio.to_thread(process.load_enricher, settings)
    messages = [
        (m.key.decode("utf-8", "replace") if m.key else None, m.value, m.timestamp_ms / 1000) for m in chunk
    ]
    outputs = await asyncio.to_thread(process.run, messages, settings, state=state, enricher=enricher)
    pending = []
    for out in outputs:
        name = settings.topic(out.spec.name) + suffix
        headers = list(out.headers.items())
        value = None if out.event is None else to_json(out.event)  # None: a tombstone
        pending.append(await client.send(name, value, key=out.key.encode(), headers=headers))
        summary.events[out.spec.name + suffix] += 1
    for future in pending:
        await future
    summary.read += len(chunk)
    return enricher


async def read_kills(settings: Settings, state: State) -> int:
    """Fold all of news.articles.kills into the replay's gate; returns the articles it withdraws."""
    async with ranges.RangeReader(settings, [settings.topic(flow.KILLS.name)]) as reader:
        async for batch in reader.batches():
            load_kills(state.kills, [(r.key, r.value) for r in batch])
    return len(state.kills)


async def _commit_group(settings: Settings, group: str, ends: dict[TopicPartition, int]) -> None:
    client = consumer(settings, group_id=group, enable_auto_commit=False)
    await client.start()
    try:
        client.assign(list(ends))
        await client.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in ends.items()})
    finally:
        await client.stop()


def with_pipeline_version(settings: Settings, version: str | None) -> Settings:
    return dataclasses.replace(settings, pipeline_version=version) if version else settings
