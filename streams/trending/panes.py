"""Trending state of one input partition: minute panes of distinct articles per key, watermark, late events,
retractions.

Pure logic, no Kafka: `PartitionWindows.apply` takes the contributions of one flush and returns the windows
whose counts it changed, and the segment (what the flush added or took back) that the caller writes to the
changelog. `PartitionWindows.rebuild` folds saved segments back into the same state after a restart or
rebalance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

PANE = 60  # seconds; every window is a whole number of panes


@dataclass(frozen=True)
class Family:
    """A window family: trailing windows `size` seconds long that end at the watermark's pane end."""

    name: str
    size: int


MINUTE = Family("1m", 60)
HOUR = Family("1h", 3600)
FAMILIES = (MINUTE, HOUR)
# Panes kept: a late event's hour windows and the hour before each (previous_count) reach this far back.
KEEP = 2 * HOUR.size


RETRACT = "retract"  # the mark that ends a retraction's changelog row (an addition's row has none)


@dataclass(frozen=True)
class Contribution:
    """One article naming one key at an event time (seconds), read from input offset `offset`; or, with
    `retract`, the withdrawal of that article's contribution to the key (its time is unused until applied)."""

    kind: str  # entity | topic
    key: str
    name: str
    article_id: str
    version: int
    time: float
    offset: int = -1
    retract: bool = False

    def as_row(self) -> list[Any]:
        row = [self.kind, self.key, self.name, self.article_id, self.version, self.time, self.offset]
        return [*row, RETRACT] if self.retract else row

    @classmethod
    def from_row(cls, row: list[Any]) -> Contribution:
        # Rows saved before retractions existed have seven fields: additions, as they still are.
        kind, key, name, article_id, version, time, offset, *mark = row
        return cls(kind, key, name, article_id, int(version), float(time), int(offset), mark == [RETRACT])


@dataclass(frozen=True)
class WindowCount:
    """The count of distinct articles naming `key` in the window [start, start + family.size)."""

    kind: str
    key: str
    name: str
    family: Family
    start: int
    count: int
    previous: int  # the window one length before


@dataclass
class Applied:
    """What one flush did to a partition's state."""

    windows: list[WindowCount] = field(default_factory=list)
    segment: dict[str, Any] | None = None  # None: nothing to save
    late: int = 0
    repeats: int = 0
    retracted: int = 0  # contributions taken back (a retraction of one not counted changes nothing)


def pane_of(time: float) -> int:
    return int(time // PANE) * PANE


Key = tuple[str, str]  # (kind, key)


class PartitionWindows:
    """Counts of one input partition. Every key's events share its partition, so its counts are whole here.

    A contribution counts once per (kind, key, article) whatever its versions or redeliveries; each is kept
    with its pane and version so that it can be taken back. The watermark is the highest event time seen;
    events more than `grace` seconds behind it are late and dropped. A retraction takes an article's
    contribution out of the pane that holds it, whatever its age (it is never late and never moves the
    watermark), and frees the article, so a later version that names the key again counts again.
    """

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.watermark: float | None = None
        self.panes: dict[Key, dict[int, set[str]]] = {}
        self.by_pane: dict[int, set[Key]] = defaultdict(set)
        self.counted: dict[tuple[str, str, str], tuple[int, int]] = {}  # → (pane, version)
        self.names: dict[Key, str] = {}
        self.next_offset: int | None = None  # input offset expected next; another one means a seek
        self.seq = 0  # the next segment's number
        self.segments: dict[int, int] = {}  # saved segment number → newest pane it holds
        self.floor: int | None = None  # panes before it are pruned (None: none yet)

    @property
    def end(self) -> int | None:
        """End of the pane holding the watermark: where every trailing window ends."""
        return None if self.watermark is None else pane_of(self.watermark) + PANE

    def count(self, key: Key, start: int, size: int) -> int:
        panes = self.panes.get(key, {})
        return sum(len(panes.get(p, ())) for p in range(start, start + size, PANE))

    def _add(self, c: Contribution) -> int:
        key, pane = (c.kind, c.key), pane_of(c.time)
        # Only `rebuild` finds the article counted already: the live state had pruned that pane, or taken it
        # back by a retraction whose segment has expired since. It counts where the saved row says.
        self._take_back(c.kind, c.key, c.article_id)
        self.panes.setdefault(key, {}).setdefault(pane, set()).add(c.article_id)
        self.by_pane[pane].add(key)
        self.counted[(c.kind, c.key, c.article_id)] = (pane, c.version)
        self.names[key] = c.name
        return pane

    def _take_back(self, kind: str, key: str, article_id: str) -> int | None:
        """Take an article's contribution to a key out of its pane: that pane, or None if it is not counted
        (never seen, taken back already, or its pane pruned). The emptied pane stays until it is pruned."""
        held = self.counted.pop((kind, key, article_id), None)
        if held is None:
            return None
        pane = held[0]
        self.panes.get((kind, key), {}).get(pane, set()).discard(article_id)
        return pane

    def apply(self, contributions: Iterable[Contribution]) -> Applied:
        """Count one flush's contributions in order; the windows they changed and the segment to save."""
        out = Applied()
        old_end = self.end
        dirty: dict[Key, set[int]] = defaultdict(set)
        saved: list[Contribution] = []
        last_offset = None
        for c in contributions:
            last_offset = c.offset if c.offset >= 0 else last_offset
            if c.retract:
                pane = self._take_back(c.kind, c.key, c.article_id)
                if pane is not None:
                    dirty[(c.kind, c.key)].add(pane)
                    saved.append(replace(c, time=float(pane)))  # saved with the pane it left
                    out.retracted += 1
                continue
            if self.watermark is not None and c.time < self.watermark - self.grace:
                out.late += 1
                continue
            if (c.kind, c.key, c.article_id) in self.counted:
                out.repeats += 1  # another version or a redelivery: an article counts once
                continue
            dirty[(c.kind, c.key)].add(self._add(c))
            saved.append(c)
            self.watermark = c.time if self.watermark is None else max(self.watermark, c.time)
        if last_offset is not None:
            self.next_offset = last_offset + 1
        new_end = self.end
        if new_end is None:
            return out
        out.windows = self._changed(dirty, old_end, new_end)
        if saved:  # what changed the state (the watermark moves only with an added contribution)
            out.segment = self._segment(saved)
        self._prune()
        return out

    def _changed(self, dirty: dict[Key, set[int]], old_end: int | None, new_end: int) -> list[WindowCount]:
        windows: dict[tuple[Key, Family, int], WindowCount] = {}

        def put(key: Key, family: Family, start: int) -> None:
            if self.floor is not None and start - family.size < self.floor:
                # The window or the one before reaches a pruned pane (only an old pane's retraction gets
                # here): its count can no longer be whole, so its last published one stands.
                return
            count = self.count(key, start, family.size)
            previous = self.count(key, start - family.size, family.size)
            name = self.names.get(key, key[1])
            windows[(key, family, start)] = WindowCount(*key, name, family, start, count, previous)

        for key, panes in dirty.items():
            for pane in panes:
                put(key, MINUTE, pane)
                # Every published hour that holds the pane: the trailing one, and for a late event those
                # that ended since (at most grace / PANE + 1 of them).
                # Only hours that still hold the pane (end <= pane + an hour): an event far behind a
                # watermark that jumped ahead (a feed spanning years) must not walk every minute between.
                for end in range(pane + PANE, min(new_end, pane + HOUR.size) + PANE, PANE):
                    put(key, HOUR, end - HOUR.size)
                # and the trailing hour, where the key falls back once the pane has left it.
                put(key, HOUR, new_end - HOUR.size)
        if old_end is not None and new_end > old_end:
            # Panes closed: keys whose mentions left the trailing hour fall back at the new end.
            left = [p for p in self.by_pane if old_end - HOUR.size <= p < new_end - HOUR.size]
            for pane in left:
                for key in self.by_pane[pane]:
                    if key in dirty:
                        continue
                    if self.count(key, new_end - HOUR.size, HOUR.size) != self.count(
                        key, old_end - HOUR.size, HOUR.size
                    ):
                        put(key, HOUR, new_end - HOUR.size)
        return list(windows.values())

    def _segment(self, saved: list[Contribution]) -> dict[str, Any]:
        seq, self.seq = self.seq, self.seq + 1
        top = max((pane_of(c.time) for c in saved), default=pane_of(self.watermark or 0))
        self.segments[seq] = top
        # "add" holds every row in input order, retractions among them (marked): the order is what rebuild
        # replays, and a segment saved before retractions existed reads the same.
        return {"seq": seq, "wm": self.watermark, "top": top, "add": [c.as_row() for c in saved]}

    def cutoff(self) -> int:
        """Oldest pane still needed: the hour windows (and the hour before each) a late event can reach."""
        assert self.watermark is not None
        return pane_of(self.watermark - self.grace) + PANE - KEEP

    def _prune(self) -> None:
        cutoff = self.floor = self.cutoff()
        for pane in sorted(p for p in self.by_pane if p < cutoff):
            for key in self.by_pane.pop(pane):
                panes = self.panes.get(key, {})
                for article in panes.pop(pane, ()):
                    self.counted.pop((key[0], key[1], article), None)
                if not panes:
                    self.panes.pop(key, None)
                    self.names.pop(key, None)

    def expired_segments(self) -> list[int]:
        """Saved segments whose every pane is pruned (the newest stays: it holds the watermark)."""
        if self.watermark is None or not self.segments:
            return []
        newest, cutoff = max(self.segments), self.cutoff()
        gone = [seq for seq, top in self.segments.items() if top < cutoff and seq != newest]
        for seq in gone:
            del self.segments[seq]
        return gone

    @classmethod
    def rebuild(
        cls, grace: float, segments: Iterable[dict[str, Any]], resume_at: int | None
    ) -> tuple[PartitionWindows, list[int]]:
        """The state the saved segments describe, counting only inputs before offset `resume_at` (those
        were committed; later ones will be delivered again and counted then). Also the numbers of the
        segments that are wholly beyond it, for the caller to delete."""
        state = cls(grace)
        dropped = []
        for seg in sorted(segments, key=lambda s: int(s["seq"])):
            rows = [Contribution.from_row(r) for r in seg["add"]]
            kept = [c for c in rows if resume_at is None or c.offset < resume_at]
            if rows and not kept:
                dropped.append(int(seg["seq"]))
                continue
            # Every saved row changed the live state when it was read: it is replayed as it stands.
            for c in kept:
                if c.retract:
                    state._take_back(c.kind, c.key, c.article_id)
                else:
                    state._add(c)
            # Partly beyond the resume offset: the watermark from the additions that stay.
            times = [c.time for c in kept if not c.retract]
            wm = seg["wm"] if len(kept) == len(rows) else max(times, default=state.watermark)
            if wm is not None:
                state.watermark = wm if state.watermark is None else max(state.watermark, float(wm))
            state.segments[int(seg["seq"])] = int(seg["top"])
            state.seq = int(seg["seq"]) + 1
        if state.watermark is not None:
            state._prune()
        state.next_offset = resume_at
        return state, dropped
