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

    The table keeps one entry per article and partition, `partition|article id`: one changelog record per
    partition an article visits, not one per band. The band → articles index is derived from the entries in
    memory and rebuilt by `load` (after a start, a rebalance or a seek). Entries expire `days` after their
    event time, measured against the highest event time the partition has seen (its watermark). About 0.9 KB
    of memory an entry (`benchmarks/syndication_memory.py`).
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
        return f"{partition}|{article_id}"

    def load(self, partition: int) -> None:
        """Rebuild one partition's index from the table's entries."""
        prefix = f"{partition}|"
        part = _Partition()
        found = []
        for k, v in list(self.table.items()):
            text = k.decode() if isinstance(k, bytes) else str(k)
            if text.startswith(prefix) and v:
                found.append((sys.intern(text[len(prefix) :]), Entry.from_value(v)))
        for article_id, entry in sorted(found, key=lambda f: f[1].n):
            self._add(part, article_id, entry, entry.bands())
            part.watermark = max(part.watermark, entry.time)
        self._parts[partition] = part

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
        self.table[self.key(partition, article_id)] = entry.as_value()

    def _add(self, part: _Partition, article_id: str, entry: Entry, bands: list[str]) -> None:
        part.entries[article_id] = entry
        for band in bands:
            part.add(band, article_id)
        heapq.heappush(part.heap, (entry.time, entry.n, article_id))
        part.next_n = max(part.next_n, entry.n + 1)

    def _remove(self, part: _Partition, article_id: str) -> None:
        entry = part.entries.pop(article_id)
        # Its bands are recomputed from the signature; those another partition owns are not here.
        for band in entry.bands():
            part.discard(band, article_id)

    def _expire(self, partition: int, part: _Partition) -> None:
        limit = part.watermark - self.horizon
        while part.heap and part.heap[0][0] < limit:
            _, n, article_id = heapq.heappop(part.heap)
            entry = part.entries.get(article_id)
            if entry is not None and entry.n == n:  # else a newer registration replaced it
                self._remove(part, article_id)
                del self.table[self.key(partition, article_id)]

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
        out = step(index, out.partition, out.event, partitions)
    return out


def _first_band(bands: list[str], partition: int, partitions: int) -> str:
    # The hop's Kafka key: the first band it carries to that partition (its partition is set explicitly).
    return next(b for b in bands if band_partition(b, partitions) == partition)
