"""Replay: reprocess news.articles.raw (all, a time range or offsets) into live or side topics."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndMetadata
from tqdm import tqdm

from streams.events import flow
from streams.events.records import cloudevent_headers, to_json
from streams.kafka import ranges
from streams.kafka.admin import apply
from streams.kafka.clients import active_members, consumer, producer
from streams.settings import Settings
from streams.tools import process


class ReplayRefused(Exception):
    """The replay would race a running worker: its consumer group has active members."""


@dataclass
class Summary:
    read: int = 0
    events: Counter[str] = field(default_factory=Counter)

    def describe(self) -> str:
        per_topic = ", ".join(f"{t}: {n}" for t, n in sorted(self.events.items())) or "nothing"
        return f"replayed {self.read} raw message(s) → {per_topic}"


@dataclass(frozen=True)
class RawMessage:
    key: bytes | None
    value: bytes
    timestamp_ms: int
    partition: int
    offset: int


async def read_raw(
    settings: Settings,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    offsets: dict[int, int] | None = None,
) -> tuple[list[RawMessage], dict[TopicPartition, int]]:
    """The raw messages in range, in event order, and each partition's end offset when reading began."""
    topic = settings.topic(flow.RAW.name)
    read = await ranges.read(
        settings,
        [topic],
        since_ms=int(since.timestamp() * 1000) if since else None,
        offsets={TopicPartition(topic, p): o for p, o in (offsets or {}).items()},
    )
    limit_ms = int(until.timestamp() * 1000) if until else None
    messages = [
        RawMessage(r.key, r.value, r.timestamp, r.partition, r.offset)
        for r in read.records
        if (limit_ms is None or r.timestamp <= limit_ms) and r.value is not None
    ]
    # Broker time, then partition and offset: the order the feed published in, repeatable run to run.
    messages.sort(key=lambda m: (m.timestamp_ms, m.partition, m.offset))
    return messages, read.ends


async def replay(
    settings: Settings,
    *,
    suffix: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    offsets: dict[int, int] | None = None,
    progress: bool = True,
) -> Summary:
    """Reprocess raw messages with this pipeline and publish the outputs.

    With a `suffix` the outputs go to side topics (`news.quotes.v2`, …) for comparison and no consumer
    group is touched. Without one they go to the live topics under `settings.pipeline_version`, and the
    worker group's offsets on the raw topic move to where the replay ended, so a worker started with the
    new pipeline goes on from there; that is refused while the group has active members.
    """
    group = settings.app_id
    if not suffix and await active_members(settings, group):
        raise ReplayRefused(f"consumer group {group!r} has active members: stop its workers first")
    await apply(settings, suffix=suffix)
    messages, ends = await read_raw(settings, since=since, until=until, offsets=offsets)
    summary = Summary(read=len(messages))
    outputs = process.run(
        ((m.key.decode("utf-8", "replace") if m.key else None, m.value) for m in messages), settings
    )
    client = producer(settings, linger_ms=5)
    await client.start()
    try:
        pending = []
        for out in tqdm(outputs, disable=not progress, unit="event", desc="replay"):
            name = settings.topic(out.spec.name) + suffix
            headers = list(cloudevent_headers(out.event).items())
            pending.append(await client.send(name, to_json(out.event), key=out.key.encode(), headers=headers))
            summary.events[out.spec.name + suffix] += 1
        for future in pending:
            await future
    finally:
        await client.stop()
    if not suffix:
        await _commit_group(settings, group, ends)
    return summary


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
