"""Reading topic partitions from a start to the end offsets they had when reading began (replay, diff)."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class Bounds:
    """Each partition's bounds, taken when reading began."""

    beginnings: dict[TopicPartition, int]  # log starts
    starts: dict[TopicPartition, int]  # where reading begins (a deleted offset raised to the log start)
    ends: dict[TopicPartition, int]  # end offsets: records at or past them are left out
    requested: dict[TopicPartition, int]  # offsets asked for

    def deleted(self) -> dict[TopicPartition, tuple[int, int]]:
        """Partitions whose requested offset retention (or delete_records) had deleted: (asked, log start)."""
        return {
            tp: (asked, self.beginnings[tp])
            for tp, asked in self.requested.items()
            if tp in self.beginnings and asked < self.beginnings[tp]
        }

    def total(self) -> int:
        """Offsets in range (an upper bound on records: compaction and markers leave gaps)."""
        return sum(self.ends[tp] - start for tp, start in self.starts.items())


class RangeReader:
    """Reads partitions from their starts (see `start_offsets`) to the end offsets taken when reading began,
    as a stream: `batches()` as fetched, or `in_order()` merged by broker time. Memory stays bounded by the
    consumer's fetch buffers, whatever the range's size."""

    def __init__(
        self,
        settings: Settings,
        topics: Iterable[str],
        *,
        since_ms: int | None = None,
        offsets: Mapping[TopicPartition, int] | None = None,
    ) -> None:
        self.settings = settings
        self.topics = list(topics)
        self.since_ms = since_ms
        self.offsets = dict(offsets or {})
        self.bounds = Bounds({}, {}, {}, dict(self.offsets))
        self._client: Any = None
        self._remaining: set[TopicPartition] = set()

    async def __aenter__(self) -> RangeReader:
        found = await partitions(self.settings, self.topics)
        tps = [TopicPartition(topic, p) for topic, numbers in found.items() for p in numbers]
        if not tps:
            return self
        # earliest: should retention delete records while this reads, the fetch resumes at the new log
        # start rather than at the end.
        client = consumer(self.settings, enable_auto_commit=False, auto_offset_reset="earliest")
        await client.start()
        self._client = client
        client.assign(tps)
        ends = await client.end_offsets(tps)
        beginnings = await client.beginning_offsets(tps)
        times = None
        if self.since_ms is not None:
            times = await client.offsets_for_times({tp: self.since_ms for tp in tps})
        starts = start_offsets(beginnings, ends, found=times, requested=self.offsets)
        self.bounds = Bounds(dict(beginnings), starts, dict(ends), dict(self.offsets))
        self._remaining = {tp for tp in tps if starts[tp] < ends[tp]}
        # Only partitions with something to read are fetched; explicit seeks, because seek_to_beginning()
        # on freshly assigned partitions can land on the end instead.
        if self._remaining:
            client.assign(list(self._remaining))
        for tp in self._remaining:
            client.seek(tp, starts[tp])
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._client is not None:
            await self._client.stop()
            self._client = None

    async def _fetch(
        self, tps: set[TopicPartition]
    ) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        """One fetch for `tps` (all unfinished): each partition's records before its end; finished
        partitions leave `self._remaining`."""
        ends = self.bounds.ends
        batch = await self._client.getmany(*tps, timeout_ms=1000)
        out = {tp: [r for r in got if r.offset < ends[tp]] for tp, got in batch.items()}
        for tp in list(tps):
            got = batch.get(tp, [])
            # Done when the record just before the end was returned; or, when that offset holds no
            # record (compacted away, a transaction marker), once the position has passed the end and a
            # fetch returned nothing more for it: the position also moves when records are fetched ahead
            # into the client's buffer, and stopping on it alone dropped those records.
            if (got and got[-1].offset + 1 >= ends[tp]) or (
                not got and await self._client.position(tp) >= ends[tp]
            ):
                self._remaining.discard(tp)
        return out

    async def batches(self) -> AsyncIterator[list[ConsumerRecord[bytes, bytes]]]:
        """The range's records as fetched: in offset order within a partition."""
        while self._remaining:
            for got in (await self._fetch(set(self._remaining))).values():
                if got:
                    yield got

    async def in_order(self) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
        """The range's records merged across partitions by (broker time, partition, offset), each partition
        in its own offset order: the next record is taken only once every unfinished partition has one
        waiting, so a partition read late is never overtaken."""
        waiting: dict[TopicPartition, deque[ConsumerRecord[bytes, bytes]]] = {}
        while True:
            empty = {tp for tp in self._remaining if not waiting.get(tp)}
            while empty:
                for tp, got in (await self._fetch(empty)).items():
                    waiting.setdefault(tp, deque()).extend(got)
                empty = {tp for tp in self._remaining if not waiting.get(tp)}
            heads = [tp for tp, queue in waiting.items() if queue]
            if not heads:
                return
            tp = min(heads, key=lambda t: (waiting[t][0].timestamp, t.partition, waiting[t][0].offset))
            yield waiting[tp].popleft()


async def read(
    settings: Settings,
    topics: Iterable[str],
    *,
    since_ms: int | None = None,
    offsets: Mapping[TopicPartition, int] | None = None,
) -> Range:
    """Every record of the existing `topics` from their start (see `start_offsets`; `since_ms` is a broker
    timestamp) up to the end offsets taken when reading began, all in memory: records published meanwhile
    are not read. For ranges of any size, stream them with `RangeReader`."""
    records: list[ConsumerRecord[bytes, bytes]] = []
    async with RangeReader(settings, topics, since_ms=since_ms, offsets=offsets) as reader:
        async for batch in reader.batches():
            records.extend(batch)
    records.sort(key=lambda r: (r.topic, r.partition, r.offset))
    return Range(records, reader.bounds.starts, reader.bounds.ends)
