"""Reading topic partitions from a start to the end offsets they had when reading began (replay, diff)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord, OffsetAndTimestamp

from streams.kafka.clients import consumer, partitions
from streams.settings import Settings


@dataclass(frozen=True)
class Range:
    """What was read: the records, by topic, partition and offset, and each partition's bounds."""

    records: list[ConsumerRecord[bytes, bytes]]
    starts: dict[TopicPartition, int]  # where reading began (a deleted offset raised to the log start)
    ends: dict[TopicPartition, int]  # end offsets when reading began: records at or past them are left out


def start_offsets(
    beginnings: Mapping[TopicPartition, int],
    ends: Mapping[TopicPartition, int],
    *,
    found: Mapping[TopicPartition, OffsetAndTimestamp | None] | None = None,
    requested: Mapping[TopicPartition, int] | None = None,
) -> dict[TopicPartition, int]:
    """Each partition's first offset to read: the log start, or the first at a time (`found`, from
    offsets_for_times: None means nothing that late, so nothing to read), or a `requested` offset.

    A requested offset below the log start was deleted by retention (or delete_records): reading starts
    at the log start. Seeking there instead would fail the fetch with OffsetOutOfRange, and the consumer's
    reset policy would decide silently where to go (the end, by default: nothing read at all).
    """
    starts = dict(beginnings)
    if found is not None:
        starts = {tp: (hit.offset if (hit := found.get(tp)) else ends[tp]) for tp in starts}
    if requested:
        starts = {tp: requested.get(tp, start) for tp, start in starts.items()}
    return {tp: max(start, beginnings[tp]) for tp, start in starts.items()}


async def read(
    settings: Settings,
    topics: Iterable[str],
    *,
    since_ms: int | None = None,
    offsets: Mapping[TopicPartition, int] | None = None,
) -> Range:
    """Every record of the existing `topics` from their start (see `start_offsets`; `since_ms` is a broker
    timestamp) up to the end offsets taken when reading began: records published meanwhile are not read."""
    found = await partitions(settings, list(topics))
    tps = [TopicPartition(topic, p) for topic, numbers in found.items() for p in numbers]
    if not tps:
        return Range([], {}, {})
    # earliest: should retention delete records while this reads, the fetch resumes at the new log start
    # rather than at the end.
    client = consumer(settings, enable_auto_commit=False, auto_offset_reset="earliest")
    await client.start()
    try:
        client.assign(tps)
        ends = await client.end_offsets(tps)
        beginnings = await client.beginning_offsets(tps)
        times = None
        if since_ms is not None:
            times = await client.offsets_for_times({tp: since_ms for tp in tps})
        starts = start_offsets(beginnings, ends, found=times, requested=offsets)
        remaining = {tp for tp in tps if starts[tp] < ends[tp]}
        # Only partitions with something to read are fetched; explicit seeks, because seek_to_beginning()
        # on freshly assigned partitions can land on the end instead.
        if remaining:
            client.assign(list(remaining))
        for tp in remaining:
            client.seek(tp, starts[tp])
        records: list[ConsumerRecord[bytes, bytes]] = []
        while remaining:
            batch = await client.getmany(*remaining, timeout_ms=1000)
            for tp, got in batch.items():
                records.extend(r for r in got if r.offset < ends[tp])
            for tp in list(remaining):
                got = batch.get(tp, [])
                # Done when the record just before the end was returned; or, when that offset holds no
                # record (compacted away, a transaction marker), once the position has passed the end and
                # a fetch returned nothing more for it: the position also moves when records are fetched
                # ahead into the client's buffer, and stopping on it alone dropped those records.
                if (got and got[-1].offset + 1 >= ends[tp]) or (
                    not got and await client.position(tp) >= ends[tp]
                ):
                    remaining.discard(tp)
    finally:
        await client.stop()
    records.sort(key=lambda r: (r.topic, r.partition, r.offset))
    return Range(records, starts, ends)
