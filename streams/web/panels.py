"""The dashboard's ranked panels: the trailing hour from the trending topic, rising keys, spikes, sparklines.

Pure functions over the trending rows the dashboard keeps (the latest row per key and window family, and
the recent minute rows per key); no I/O. The worker computes the counts (distinct articles per key and
window, on event time); the dashboard only ranks what it was sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

Json = dict[str, Any]

HOUR = timedelta(hours=1)
SPARK_BUCKETS = 12  # five-minute buckets over the trailing hour
SPARK_MINUTES = 60 // SPARK_BUCKETS

# A key is rising when its trailing hour holds clearly more articles than the hour before it.
RISING_AT = 0.5  # the worker's `rising`: (count - previous) / (count + previous)
# A spike: at least SPIKE_MIN articles in the trailing hour and SPIKE_RATIO times the hour before.
SPIKE_MIN = 3
SPIKE_RATIO = 3.0


def is_rising(count: int, rising: float) -> bool:
    return count >= 2 and rising >= RISING_AT


def is_spike(count: int, previous: int) -> bool:
    """A trailing hour far above the key's own baseline (the hour before it)."""
    return count >= SPIKE_MIN and count >= SPIKE_RATIO * max(previous, 1)


def parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Candidate:
    """One key's latest trailing-hour row, with what the panel needs to place and draw it."""

    key: str
    name: str
    type: str
    row: Json  # the trending row: count, previous_count, rising, window_start, window_end


def sparkline(minutes: Mapping[str, int], end: datetime) -> list[int]:
    """Articles per five-minute bucket over the hour ending at `end`, oldest first (minute counts summed)."""
    buckets = [0] * SPARK_BUCKETS
    start = end - HOUR
    for stamp, count in minutes.items():
        when = parse_time(stamp)
        if when is None or not start <= when < end:
            continue
        index = int((when - start).total_seconds() // (SPARK_MINUTES * 60))
        buckets[min(index, SPARK_BUCKETS - 1)] += count
    return buckets


def hour_panel(
    candidates: Iterable[Candidate], minutes: Mapping[str, Mapping[str, int]], limit: int
) -> tuple[list[Json], Json | None]:
    """The keys ranked by their trailing-hour count (ties by name), and the window the panel covers.

    The panel's hour is the newest trailing hour any key was published with. A key whose latest row ended
    an hour or more before it has not been mentioned since (its partition's watermark has not moved): it
    is left out rather than shown with a stale count.
    """
    rows = [c for c in candidates if c.row.get("count", 0) > 0 and parse_time(c.row["window_end"])]
    if not rows:
        return [], None
    end = max(parse_time(c.row["window_end"]) or datetime.min for c in rows)
    current = [c for c in rows if (parse_time(c.row["window_end"]) or end) > end - HOUR]
    current.sort(key=lambda c: (-int(c.row["count"]), c.name.casefold(), c.key))
    out = []
    for c in current[:limit]:
        count, previous = int(c.row["count"]), int(c.row.get("previous_count", 0))
        key_end = parse_time(c.row["window_end"]) or end
        out.append(
            {
                "entity_id": c.key,
                "name": c.name,
                "type": c.type,
                "count": count,
                "previous_count": previous,
                "rising": is_rising(count, float(c.row.get("rising", 0.0))),
                "spike": is_spike(count, previous),
                "spark": sparkline(minutes.get(c.key, {}), key_end),
                "window_end": c.row["window_end"],
            }
        )
    window = {"span": "hour", "start": (end - HOUR).isoformat(), "end": end.isoformat(), "basis": "trending"}
    return out, window
