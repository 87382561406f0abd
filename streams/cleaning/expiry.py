"""Event-time expiry of the clean stage's state (article versions, learned boilerplate): kept `state_days`.

Every value carries its event time and the input partition that wrote it. Per partition the watermark is
the highest event time of the articles it has taken as new; an entry more than the horizon behind it is
gone. The stages read such an entry as absent at once (`limit`), so what they decide never depends on when
the deletion runs; the deletion itself (`del table[key]`, a changelog tombstone, so a restarted worker does
not bring the entry back) is a sweep over the table, due when the oldest entry has passed the horizon and
run at most once per day of watermark progress.

A sweep rather than an expiry heap: the learned table can hold thousands of keys per partition, and a heap
would keep a Python object per key for as long as the key lives; the sweep keeps three numbers per
partition. After a start or a rebalance `load` rebuilds them from the values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

DAY = 86400.0
# An article's time may run ahead of when it reached Kafka by this much (time zones, clock skew): a
# mistyped year in the future would otherwise move the watermark and expire a partition's whole state.
AHEAD = DAY
# Physical deletions run at most once per this much watermark progress (reads never see expired entries).
SWEEP_EVERY = DAY

# (partition, event time) of a stored value, or None for a value written before expiry existed.
Stamp = Callable[[Any], "tuple[int, float] | None"]


def event_time(published_at: float | None, seen: float) -> float:
    """What an article's state is aged by: its publication time, else when it reached Kafka (seconds)."""
    return seen if published_at is None else min(published_at, seen + AHEAD)


def time_stamp(value: Any) -> tuple[int, float] | None:
    """The stamp of a dict value that carries its event time `t` and input partition `p` (article versions,
    what the enrich stage published); None for one written before expiry existed."""
    if not isinstance(value, dict) or value.get("t") is None:
        return None
    return int(value["p"]), float(value["t"])


def live(value: dict[str, Any] | None, limit: float) -> dict[str, Any] | None:
    """`value`, or None when its event time is before `limit` (expired entries read as absent at once)."""
    return None if value is None or (value.get("t") is not None and float(value["t"]) < limit) else value


@dataclass(frozen=True)
class Expiring:
    """One table under expiry: how to read a value's stamp, and how long past the horizon it is kept."""

    table: MutableMapping[str, Any]
    stamp: Stamp
    slack: float = 0.0


@dataclass
class _Clock:
    watermark: float = float("-inf")
    oldest: float = float("inf")  # no entry of the partition has an older event time
    swept: float = float("-inf")  # the watermark at the last sweep


class StateExpiry:
    """The watermarks of the partitions one worker (or `process`, partition 0) holds, and their sweeps."""

    def __init__(self, tables: list[Expiring], days: float) -> None:
        self.tables = tables
        self.horizon = days * DAY
        self._clocks: dict[int, _Clock] = {}

    def limit(self, partition: int) -> float:
        """Entries of `partition` with an older event time (plus their table's slack) are gone."""
        clock = self._clocks.get(partition)
        return float("-inf") if clock is None else clock.watermark - self.horizon

    def loaded(self, partition: int) -> bool:
        return partition in self._clocks

    def forget(self) -> None:
        """Drop every partition's watermark (a rebalance): each is loaded again on its next use."""
        self._clocks.clear()

    def load(self, partition: int) -> None:
        """Rebuild one partition's watermark from the tables (after a start, a rebalance or a seek)."""
        clock = _Clock()
        for expiring in self.tables:
            for _, t in self._stamped(expiring, partition):
                clock.watermark = max(clock.watermark, t)
                clock.oldest = min(clock.oldest, t - expiring.slack)
        self._clocks[partition] = clock

    def advance(self, partition: int, time: float) -> int:
        """Note an article taken as new at event time `time`; returns how many entries a due sweep removed."""
        clock = self._clocks.setdefault(partition, _Clock())
        clock.watermark = max(clock.watermark, time)
        clock.oldest = min(clock.oldest, time)
        if clock.oldest >= self.limit(partition) or clock.watermark < clock.swept + SWEEP_EVERY:
            return 0
        return self.sweep(partition)

    def sweep(self, partition: int) -> int:
        """Delete the partition's expired entries (a tombstone each); returns how many."""
        clock = self._clocks.setdefault(partition, _Clock())
        limit = self.limit(partition)
        removed, oldest = 0, float("inf")
        for expiring in self.tables:
            gone: list[str] = []
            for key, t in self._stamped(expiring, partition):
                if t < limit - expiring.slack:
                    gone.append(key)
                else:
                    oldest = min(oldest, t - expiring.slack)
            for key in gone:
                del expiring.table[key]
            removed += len(gone)
        clock.oldest, clock.swept = oldest, clock.watermark
        return removed

    @staticmethod
    def _stamped(expiring: Expiring, partition: int) -> Iterator[tuple[str, float]]:
        # One pass, nothing kept per entry: the caller collects only the keys it deletes, and deletes them
        # after the pass (a store's iterator must not see its table change under it).
        for key, value in expiring.table.items():
            stamp = expiring.stamp(value) if value else None
            if stamp is not None and stamp[0] == partition:
                # A Faust table's raw key serializer gives bytes back for the str keys the stage writes.
                yield (key.decode() if isinstance(key, bytes) else str(key)), stamp[1]
