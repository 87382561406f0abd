"""The progress watchdog: a worker whose partitions have lag and that has made no progress for a while
fails liveness, so an orchestrator restarts it.

A worker can rebalance cleanly, say it is ready, and then consume nothing while its partitions have lag
(the pattern of faust-streaming issues #175, #523 and #629). Its agents are alive, so the dead-agent check
stays green. This check looks at what the worker does instead. Every few seconds, on the event loop, a
look takes a progress token (messages handled by every stage, dead letters, committed offsets) and the lag
of the stream partitions the worker owns. Between looks, batched stages mark each batch's start and end
(`Metrics.batch`). The worker is stalled when lag exists and, for longer than `NEWSSTREAMS_STALL_SECONDS`,
neither has the token moved nor has a batch started or ended.

Why a batch's start counts, not only offsets: a look sees a finished batch only at its next run, so with
offsets alone a worker whose batches take B seconds can look idle for B plus the check interval plus the
look's own broker round trips, and a limit just above B (8 s against 4.5 s batches) failed a slow but
healthy worker. A batch in flight that started less than the limit ago is work under way; one that has run
longer than the limit is hung and is a stall. So the limit must exceed the longest batch a worker may run,
and nothing else: the marks are read live, not at the looks.

Rebalances and table recovery are not stalls: they reset the clock. If the event loop itself is blocked,
neither looks nor batches run and the clock is not reset: that is a stall too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from faust.types import TP, AppT

from streams.worker.health import Metrics, owned_stream_partitions, stream_lag

log = logging.getLogger(__name__)

# Below this, the check interval and a look's broker round trips (1 to 3 s on a busy 2-core machine) take
# a large share of the limit, and the lag a look sees would be older than the verdict it feeds.
MIN_LIMIT = 10.0


def check_interval(limit: float) -> float:
    """Seconds between looks: four looks within the limit, at most one every 5 s."""
    return min(5.0, limit / 4)


def progress_token(metrics: Metrics, committed: Mapping[TP, int]) -> tuple[float, int]:
    """Something that moves whenever the worker gets anything done."""
    handled = sum(
        sample.value
        for counter in (metrics.messages, metrics.dead_letters)
        for family in counter.collect()
        for sample in family.samples
        if sample.name.endswith("_total")
    )
    return handled, sum(committed.values())


def _never() -> float:
    return float("-inf")


@dataclass
class Watchdog:
    """Stall detection; `observe` runs on the event loop, `stalled` anywhere (the web server's thread)."""

    limit: float  # seconds without progress while lag exists
    clock: Callable[[], float] = time.monotonic
    # When a batch last started or ended, on `clock` (Metrics.batch_moved in the worker).
    batch_moved: Callable[[], float] = _never
    last_progress: float = field(default=0.0)
    token: Any = None
    lag: int = 0
    reported: bool = False

    def __post_init__(self) -> None:
        self.last_progress = self.clock()

    def observe(self, token: Any, lag: int, busy_elsewhere: bool) -> None:
        """One look: `token` (see `progress_token`), total stream lag, and whether the worker is rebalancing
        or recovering tables (then it is not expected to process)."""
        now = self.clock()
        if busy_elsewhere or lag == 0 or token != self.token:
            self.last_progress = now
        self.token, self.lag = token, lag
        reason = self.stalled()
        if reason is None:
            self.reported = False
        elif not self.reported:
            self.reported = True
            log.error("%s: liveness now fails so the worker is restarted", reason)

    def stalled(self) -> str | None:
        """Why the worker counts as stalled, or None."""
        idle = self.clock() - max(self.last_progress, self.batch_moved())
        if idle <= self.limit:
            return None
        return f"no progress for {idle:.0f} s with {self.lag} message(s) of lag (limit {self.limit:.0f} s)"


async def look(app: AppT, watchdog: Watchdog, metrics: Metrics) -> None:
    """Take one observation of `app`, on its event loop (Faust's consumer belongs to it). End offsets are
    asked of the broker: Faust's monitor learns them only from records it fetched, so a worker that fetches
    nothing would never look behind."""
    consumer: Any = getattr(app, "_consumer", None)
    recovery = getattr(app.tables, "_recovery", None)
    busy = consumer is None or recovery is None or app.rebalancing or not recovery.completed.is_set()
    lag: dict[tuple[str, int], int] = {}
    committed: dict[TP, int | None] = {}
    if not busy:
        tps = owned_stream_partitions(app)
        # Faust's own record of the group's committed offsets (set when it seeks to them after an
        # assignment, and on each commit): private, under the exact Faust pin.
        committed = {tp: consumer._committed_offset.get(tp) for tp in tps}
        if tps:
            unknown = [tp for tp, offset in committed.items() if offset is None]
            # Nothing committed yet by the group: consumption starts at the log start (auto_offset_reset
            # earliest, Faust's default), so that is where lag counts from.
            if unknown:
                committed.update(await consumer.earliest_offsets(*unknown))
            known = {tp: c for tp, c in committed.items() if c is not None}
            lag = stream_lag(set(known), await consumer.highwaters(*tps), known)
    token = progress_token(metrics, {tp: c for tp, c in committed.items() if c is not None})
    watchdog.observe(token, sum(lag.values()), busy)


def register(app: AppT, metrics: Metrics, liveness: list[Callable[[], str | None]], limit: float) -> Watchdog:
    """Look at `app` every few seconds on its event loop; the watchdog's verdict joins `liveness`."""
    if limit < MIN_LIMIT:
        raise ValueError(f"NEWSSTREAMS_STALL_SECONDS={limit} is below {MIN_LIMIT:.0f} s")
    watchdog = Watchdog(limit, batch_moved=lambda: metrics.batch_moved)
    liveness.append(watchdog.stalled)

    @app.timer(interval=check_interval(limit))
    async def watch() -> None:
        await look_or_excuse(app, watchdog, metrics)

    return watchdog


async def look_or_excuse(app: AppT, watchdog: Watchdog, metrics: Metrics) -> None:
    """One look, bounded by the check interval: a look that fails or hangs (the broker unreachable, say)
    leaves the lag unknown and resets the clock, since a restart would not help."""
    try:
        await asyncio.wait_for(look(app, watchdog, metrics), timeout=check_interval(watchdog.limit))
    except Exception:
        log.warning("progress watchdog: could not look at the worker", exc_info=True)
        watchdog.observe(None, 0, busy_elsewhere=True)
