"""First sightings of paragraphs, held in memory so the learned-boilerplate table only gets repeats.

Most paragraphs of a news source are seen once and never again; writing each to the changelogged table
cost about five records an article. Here a first sighting is remembered per input partition: the
paragraph's table key (hashed to 96 bits, the size of the fingerprint inside the key, so two keys are
confused no more often than two paragraphs already are) maps to the article that had it and that
article's event time, which is all the table would have held. At the second sighting the learned table
gets the very value it would have had, so what is learned, and when, does not change.

Why not a Bloom filter: a false positive is a first sighting taken for a second, which would count a
phantom article and learn a line after threshold - 1 real articles; and without the first article's id
a new version of that article would be taken for another article. Both need the id, so the memory
keeps one per key: about 16 bytes a slot in flat arrays, against a Python object per key in a dict.

Reads are exact under expiry: a sighting older than the caller's `limit` is absent, as its table entry
would have been. Memory is reclaimed by generation: a new one opens every `span` seconds of `limit`
progress, and one whose newest sighting is older than `limit` is dropped whole.

Not changelogged: after a restart, or in a worker taking a partition over, paragraphs seen once before
are unknown, and each is written to the table one sighting later than it would have been (a line is
learned one article later, never earlier).
"""

from __future__ import annotations

import hashlib
import math
from array import array
from dataclasses import dataclass, field

DAY = 86400.0
# Flat arrays grow by doubling when this full: linear probing stays at a few probes a lookup.
_LOAD = 0.6


def _hash(key: str) -> tuple[int, int]:
    """96 bits of the key: the 64 that place and identify it, and 32 more that confirm it."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=12).digest()
    return int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little")


@dataclass
class _Generation:
    """An open-addressing table from a key's hash to its sighting; slot `ref` 0 is empty."""

    opened: float
    capacity: int = 64
    size: int = 0
    newest: float = -math.inf
    sightings: list[tuple[str, float]] = field(default_factory=list)
    high: array[int] = field(init=False)
    low: array[int] = field(init=False)
    ref: array[int] = field(init=False)

    def __post_init__(self) -> None:
        self._allocate(self.capacity)

    def _allocate(self, capacity: int) -> None:
        self.capacity = capacity
        self.high = array("Q", bytes(8 * capacity))
        self.low = array("I", bytes(4 * capacity))
        self.ref = array("I", bytes(4 * capacity))

    def _slot(self, high: int, low: int) -> int:
        mask = self.capacity - 1
        slot = high & mask
        while self.ref[slot] and (self.high[slot] != high or self.low[slot] != low):
            slot = (slot + 1) & mask
        return slot

    def get(self, high: int, low: int) -> tuple[str, float] | None:
        ref = self.ref[self._slot(high, low)]
        return self.sightings[ref - 1] if ref else None

    def put(self, high: int, low: int, article_id: str, time: float) -> None:
        if not self.sightings or self.sightings[-1] != (article_id, time):
            # One entry per article, shared by all its paragraphs.
            self.sightings.append((article_id, time))
        slot = self._slot(high, low)
        if not self.ref[slot]:
            self.size += 1
        self.high[slot], self.low[slot], self.ref[slot] = high, low, len(self.sightings)
        self.newest = max(self.newest, time)
        if self.size > _LOAD * self.capacity:
            self._grow()

    def _grow(self) -> None:
        old = [(h, lo, r) for h, lo, r in zip(self.high, self.low, self.ref, strict=True) if r]
        self._allocate(self.capacity * 2)
        for high, low, ref in old:
            slot = self._slot(high, low)
            self.high[slot], self.low[slot], self.ref[slot] = high, low, ref


class FirstSightings:
    """Per input partition: the article (id, event time) that first had each paragraph key."""

    def __init__(self, span: float = 8 * DAY) -> None:
        self.span = span
        self._partitions: dict[int, list[_Generation]] = {}
        self._aged: dict[int, float] = {}  # the limit each partition's generations were last aged by
        self._last: tuple[str, tuple[int, int]] = ("", (0, 0))  # a put follows a get of the same key

    def _hash(self, key: str) -> tuple[int, int]:
        if self._last[0] != key or not key:
            self._last = key, _hash(key)
        return self._last[1]

    def get(self, partition: int, key: str, limit: float) -> tuple[str, float] | None:
        """(article id, event time) of the key's sighting in `partition`; None if unseen or older than `limit`."""
        high, low = self._hash(key)
        # Newest generation first: a key written again lives in the newest, with the newest time.
        for generation in reversed(self._partitions.get(partition, ())):
            found = generation.get(high, low)
            if found is not None:
                return found if found[1] >= limit else None
        return None

    def put(self, partition: int, key: str, article_id: str, time: float, limit: float) -> None:
        """Remember that `article_id` (event time `time`) had the key; `limit` ages the partition's memory."""
        self._current(partition, limit).put(*self._hash(key), article_id, time)

    def _current(self, partition: int, limit: float) -> _Generation:
        if self._aged.get(partition) == limit:
            return self._partitions[partition][-1]
        self._aged[partition] = limit
        generations = [g for g in self._partitions.get(partition, ()) if g.newest >= limit or not g.size]
        if not generations or limit - generations[-1].opened >= self.span:
            generations.append(_Generation(opened=limit))
        self._partitions[partition] = generations
        return generations[-1]

    def keys(self, partition: int) -> int:
        """How many keys the partition's memory holds (expired ones until their generation goes)."""
        return sum(g.size for g in self._partitions.get(partition, ()))

    def generations(self, partition: int) -> int:
        return len(self._partitions.get(partition, ()))
