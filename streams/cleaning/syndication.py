"""Near-copies across sources and partitions: each LSH band is checked at the one partition that owns it.

An article's MinHash bands are grouped by the partition of news.articles.syndication their key maps to. A
SyndicationHop carries the article from one of those partitions to the next; at each, `SyndicationIndex.visit`
looks for an earlier-seen article sharing one of the bands kept there (confirmed on the whole signature) and
registers this one, and after the last the clean article is published with `duplicate_of`. A band is always
handled at the same partition whatever source the article came from, so copies meet whatever the partition
count and the number of workers. `process` runs the same hops over one dict (`resolve`). Pure: no Kafka.
"""

from __future__ import annotations

import base64
import bisect
import heapq
import sys
from array import array
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from streams.cleaning.boilerplate import Syndication
from streams.events import flow
from streams.events.flow import Outgoing
from streams.events.records import CleanArticle, SyndicationHop, event_id, gate_input
from streams.worker.tables import delete_key

DAY = 86400.0
_LSH = Syndication({})


def band_keys(signature: list[int]) -> list[str]:
    """The signature's band keys, band 0 first."""
    return _LSH.bands(signature)


def band_partition(band: str, partitions: int) -> int:
    """The partition that owns a band: its key ends with a 64-bit hash, the same in every process."""
    return _band_number(band) % partitions


def route(bands: list[str], partitions: int) -> list[int]:
    """The partitions owning an article's bands, in the order of their first band."""
    out: list[int] = []
    for band in bands:
        p = band_partition(band, partitions)
        if p not in out:
            out.append(p)
    return out


class Entry:
    """One article as one partition remembers it: when it was seen, its event time, its registration order and
    its whole signature, packed (a partition of a 31-day index holds hundreds of thousands of these)."""

    __slots__ = ("n", "seen", "signature", "time")

    def __init__(self, seen: float, time: float, n: int, signature: bytes) -> None:
        self.seen = seen
        self.time = time
        self.n = n  # registration order in the partition: the first few articles of a band are its candidates
        self.signature = signature

    def as_value(self) -> dict[str, Any]:
        sig = base64.b64encode(self.signature).decode("ascii")
        return {"seen": self.seen, "time": self.time, "n": self.n, "sig": sig}

    @classmethod
    def from_value(cls, v: dict[str, Any]) -> Entry:
        sig = v["sig"]
        # Entries written before signatures were packed hold a list of ints (and their bands, recomputed now).
        packed = pack(sig) if isinstance(sig, list) else base64.b64decode(sig)
        return cls(float(v["seen"]), float(v["time"]), int(v["n"]), packed)

    def bands(self) -> list[str]:
        return band_keys(list(array("I", self.signature)))

    def as_row(self, article_id: str) -> list[Any]:
        """The entry as one row of a segment (a list: no key names repeated per entry)."""
        return [article_id, self.seen, self.time, self.n, base64.b64encode(self.signature).decode("ascii")]

    @classmethod
    def from_row(cls, row: list[Any]) -> tuple[str, Entry]:
        return sys.intern(str(row[0])), cls(
            float(row[1]), float(row[2]), int(row[3]), base64.b64decode(row[4])
        )


def pack(signature: list[int]) -> bytes:
    """A signature's 32-bit values as bytes (MinHash `affine32` values: a larger one is refused)."""
    return array("I", signature).tobytes()


@dataclass
class _Partition:
    entries: dict[str, Entry] = field(default_factory=dict)
    # band → the id of its one article, or the ids of its articles in registration order (most bands have one)
    bands: dict[int, str | list[str]] = field(default_factory=dict)
    heap: list[tuple[float, int, str]] = field(default_factory=list)  # (event time, n, id): expiry order
    watermark: float = float("-inf")
    next_n: int = 0
    # Saved segments by their first (lowest) n, sorted, and the entries still live in each: two machine
    # ints a segment (a worker under a light load saves a segment of one entry per hop; 32 bits: 4 billion
    # registrations a partition). `keys`: the few whose key is not `segment_key(partition, first)`
    # (per-article values from before segments).
    firsts: array[int] = field(default_factory=lambda: array("I"))
    live: array[int] = field(default_factory=lambda: array("I"))
    keys: dict[int, str] = field(default_factory=dict)
    # Registered since the last flush (ids, in order; no saved entry has an n as high as the first's), and
    # the first ns of segments left with no live entry, to delete at the next flush.
    pending: list[str] = field(default_factory=list)
    pending_first: int | None = None
    dropped: list[int] = field(default_factory=list)

    def saved(self, first: int, count: int, key: str | None = None) -> None:
        i = bisect.bisect_left(self.firsts, first)
        self.firsts.insert(i, first)
        self.live.insert(i, count)
        if key is not None:
            self.keys[first] = key

    def release(self, n: int) -> None:
        """Entry `n` expired or was superseded: its segment has one live entry less; none left, it goes."""
        if self.pending_first is not None and n >= self.pending_first:
            return  # not saved yet: the flush writes only what is live then
        i = bisect.bisect_right(self.firsts, n) - 1
        if i < 0:
            return
        if self.live[i] <= 1:
            self.dropped.append(self.firsts[i])
            del self.firsts[i]
            del self.live[i]
        else:
            self.live[i] -= 1

    def ids(self, band: str) -> list[str]:
        got = self.bands.get(_band_number(band))
        return [] if got is None else [got] if isinstance(got, str) else got

    def add(self, band: str, article_id: str) -> None:
        key = _band_number(band)
        got = self.bands.get(key)
        if got is None:
            self.bands[key] = article_id
        elif isinstance(got, str):
            self.bands[key] = [got, article_id]
        else:
            got.append(article_id)

    def discard(self, band: str, article_id: str) -> None:
        key = _band_number(band)
        got = self.bands.get(key)
        if got == article_id:
            del self.bands[key]
        elif isinstance(got, list) and article_id in got:
            got.remove(article_id)
            if len(got) == 1:
                self.bands[key] = got[0]


def _band_number(band: str) -> int:
    return int(band[-16:], 16)


class SyndicationIndex:
    """The syndication state of the partitions one worker (or `process`) holds.

    What a partition registered between two flushes is saved as ONE table value, a segment under
    `partition|seg|<first n>` (n: registration order): one changelog record per partition and flush, not one
    per article visiting it. The worker flushes once per batch of hops, before it acks them (Faust commits
    acked offsets only after flushing the producer, which holds the table's changelog writes); `resolve`
    flushes after each hop. The band → articles index is derived in memory and rebuilt by `load` (after a
    start, a rebalance or a seek) from the segments, and from the per-article values (`partition|article
    id`) written before segments. Entries expire `days` after their event time, measured against the highest
    event time the partition has seen (its watermark); a segment is deleted once none of its entries is live
    (expired or superseded by a later registration): a segment is never rewritten smaller, which would cost
    a changelog record per expiry step again; its entries' event times are close, so it lives little longer
    than its newest. About 0.9 KB of memory an entry (`benchmarks/syndication_memory.py`).
    """

    def __init__(
        self, table: MutableMapping[str, Any], days: float, similarity: float = 0.8, per_band: int = 8
    ) -> None:
        self.table = table
        self.horizon = days * DAY
        self.similarity = similarity
        self.per_band = per_band
        self._parts: dict[int, _Partition] = {}

    @staticmethod
    def key(partition: int, article_id: str) -> str:
        """The key of the per-article values written before segments (read, and deleted when expired)."""
        return f"{partition}|{article_id}"

    def size(self) -> int:
        """The entries held, over every partition."""
        return sum(len(part.entries) for part in self._parts.values())

    @staticmethod
    def segment_key(partition: int, first: int) -> str:
        return f"{partition}|seg|{first:012d}"

    def load(self, partition: int) -> None:
        """Rebuild one partition's index from the table (what it registered and did not flush yet first
        written, so nothing registered is lost)."""
        self.flush(partition)
        prefix = f"{partition}|"
        part = _Partition()
        found: list[tuple[str, Entry]] = []
        for k, v in list(self.table.items()):
            text = k.decode() if isinstance(k, bytes) else str(k)
            if not text.startswith(prefix) or not v:
                continue
            if "entries" in v:
                rows = [Entry.from_row(row) for row in v["entries"]]
                if rows:
                    first = min(e.n for _, e in rows)
                    named = text if text != self.segment_key(partition, first) else None
                    part.saved(first, len(rows), named)
                found += rows
            else:  # one article's value, from before segments: a segment of one
                entry = Entry.from_value(v)
                part.saved(entry.n, 1, text)
                found.append((sys.intern(text[len(prefix) :]), entry))
        # In registration order: an article registered again (a later n) supersedes its earlier entry.
        for article_id, entry in sorted(found, key=lambda f: f[1].n):
            if article_id in part.entries:
                self._remove(part, article_id)
            self._add(part, article_id, entry, entry.bands())
            part.watermark = max(part.watermark, entry.time)
        self._parts[partition] = part

    def flush(self, partition: int) -> None:
        """Save what the partition registered since the last flush as one segment, and delete the segments
        left with no live entry. A worker calls it with the partition's event current (`as_event`)."""
        part = self._parts.get(partition)
        if part is None:
            return
        for first in part.dropped:
            delete_key(self.table, part.keys.pop(first, "") or self.segment_key(partition, first))
        part.dropped = []
        if part.pending_first is None:
            return
        live = [
            (article_id, entry)
            for article_id in dict.fromkeys(part.pending)
            if (entry := part.entries.get(article_id)) is not None and entry.n >= part.pending_first
        ]
        part.pending, part.pending_first = [], None
        if live:
            first = min(entry.n for _, entry in live)  # what expired or was superseded since is left out
            self.table[self.segment_key(partition, first)] = {"entries": [e.as_row(a) for a, e in live]}
            part.saved(first, len(live))

    def visit(
        self,
        partition: int,
        article_id: str,
        signature: list[int],
        seen: float,
        time: float,
        bands: list[str],
    ) -> tuple[float, str] | None:
        """(seen, id) of the earliest-seen article seen before this one that shares one of `bands` and
        agrees on `similarity` of the signature, else None; this article is registered under its bands."""
        if partition not in self._parts:
            self.load(partition)
        part = self._parts[partition]
        part.watermark = max(part.watermark, time)
        self._expire(partition, part)
        me = (seen, article_id)
        packed = pack(signature)
        best: tuple[float, str] | None = None
        for band in bands:
            for other in part.ids(band)[: self.per_band]:
                entry = part.entries[other]
                # Only an article seen before this one can be its original: a redelivered hop, or one that
                # meets a later copy here first, decides as it did (or would have) the first time.
                them = (entry.seen, other)
                if other == article_id or them >= me or (best is not None and them >= best):
                    continue
                if self._similar(packed, entry.signature):
                    best = them
        if time >= part.watermark - self.horizon:
            self._register(partition, part, sys.intern(article_id), packed, seen, time, bands)
        return best

    def _register(
        self,
        partition: int,
        part: _Partition,
        article_id: str,
        signature: bytes,
        seen: float,
        time: float,
        bands: list[str],
    ) -> None:
        old = part.entries.get(article_id)
        if old is not None and old.signature == signature:
            return  # a redelivered hop: nothing new to remember
        if old is not None:
            self._remove(part, article_id)
            seen = min(seen, old.seen)
        entry = Entry(seen, time, part.next_n, signature)
        self._add(part, article_id, entry, bands)
        if part.pending_first is None:
            part.pending_first = entry.n
        part.pending.append(article_id)  # saved by the next flush

    def _add(self, part: _Partition, article_id: str, entry: Entry, bands: list[str]) -> None:
        part.entries[article_id] = entry
        for band in bands:
            part.add(band, article_id)
        heapq.heappush(part.heap, (entry.time, entry.n, article_id))
        part.next_n = max(part.next_n, entry.n + 1)

    def _remove(self, part: _Partition, article_id: str) -> None:
        entry = part.entries.pop(article_id)
        part.release(entry.n)
        # Its bands are recomputed from the signature; those another partition owns are not here.
        for band in entry.bands():
            part.discard(band, article_id)

    def _expire(self, partition: int, part: _Partition) -> None:
        limit = part.watermark - self.horizon
        while part.heap and part.heap[0][0] < limit:
            _, n, article_id = heapq.heappop(part.heap)
            entry = part.entries.get(article_id)
            if entry is not None and entry.n == n:  # else a newer registration replaced it
                self._remove(part, article_id)  # its segment is deleted at a flush once none is live

    def _similar(self, signature: bytes, other: bytes) -> bool:
        mine, theirs = array("I", signature), array("I", other)
        agree = sum(1 for x, y in zip(mine, theirs, strict=False) if x == y)
        return agree / max(len(mine), 1) >= self.similarity


def first_hop(
    article: CleanArticle,
    signature: list[int],
    seen: float,
    time: float,
    partitions: int,
    received: float = 0.0,
) -> Outgoing:
    """The clean article on its way to its first band's partition; straight to the kill gate when it has
    no words to compare (no signature). `received`: when this version reached Kafka (the gate's clock)."""
    if not signature:
        return Outgoing(flow.GATE, article.article_id, gate_input(article=article, received=received))
    bands = band_keys(signature)
    path = route(bands, partitions)
    hop = SyndicationHop(
        event_id=event_id(article.event_id, "syndication", path[0]),
        article=article,
        signature=signature,
        seen=seen,
        time=time,
        route=path,
        received=received,
        pipeline_version=article.pipeline_version,
    )
    return Outgoing(flow.SYNDICATION, _first_band(bands, path[0], partitions), hop, partition=path[0])


def step(index: SyndicationIndex, partition: int, hop: SyndicationHop, partitions: int) -> Outgoing:
    """One partition's part of a hop: check and register the bands it owns; then the hop to the next
    partition, or after the last the clean article with `duplicate_of`, to the kill gate."""
    bands = band_keys(list(hop.signature))
    mine = [b for b in bands if band_partition(b, partitions) == partition]
    article = hop.article
    found = index.visit(partition, article.article_id, list(hop.signature), hop.seen, hop.time, mine)
    candidate, candidate_seen = hop.candidate, hop.candidate_seen
    if found is not None and (candidate is None or found < (candidate_seen or 0.0, candidate)):
        candidate_seen, candidate = found
    rest = [p for p in hop.route if p != partition]
    if rest:
        forward = hop.derive(
            event_id=event_id(article.event_id, "syndication", rest[0]),
            route=rest,
            candidate=candidate,
            candidate_seen=candidate_seen,
        )
        return Outgoing(flow.SYNDICATION, _first_band(bands, rest[0], partitions), forward, partition=rest[0])
    checked = article.derive(duplicate_of=candidate)
    return Outgoing(flow.GATE, article.article_id, gate_input(article=checked, received=hop.received))


def resolve(index: SyndicationIndex, out: Outgoing, partitions: int) -> Outgoing:
    """Every hop of one article in this process (`process`, one dict for all partitions): its gate input."""
    while out.spec is flow.SYNDICATION:
        assert out.partition is not None and isinstance(out.event, SyndicationHop)
        partition = out.partition
        out = step(index, partition, out.event, partitions)
        index.flush(partition)
    return out


def _first_band(bands: list[str], partition: int, partitions: int) -> str:
    # The hop's Kafka key: the first band it carries to that partition (its partition is set explicitly).
    return next(b for b in bands if band_partition(b, partitions) == partition)
