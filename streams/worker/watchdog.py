"""The progress watchdog: a worker whose partitions have lag and that has processed nothing for a while
fails liveness, so an orchestrator restarts it.

A worker can rebalance cleanly, say it is ready, and then consume nothing while its partitions have lag
(the pattern of faust-streaming issues #175, #523 and #629). Its agents are alive, so the dead-agent check
stays green. This check looks at what the worker does instead: every few seconds, on the event loop, it
takes a progress token (messages handled by every stage, dead letters, committed offsets) and the lag of
the stream partitions it owns. The worker is stalled when lag exists and the token has not moved for
`NEWSSTREAMS_STALL_SECONDS`. Rebalances and table recovery are not stalls: they reset the clock. A slow
batch is not one either, as long as one batch takes less than the limit: each batch's end moves the token.
If the event loop itself is blocked, the check cannot run and the clock is not reset: that is a stall too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from faust.types import TP, AppT

from streams.worker.health import Metrics

log = logging.getLogger(__name__)


def stream_partitions(assigned: set[TP], changelogs: set[str]) -> list[TP]:
    """The assigned partitions the group commits: table changelogs left out (a standby or restored
    changelog is never committed by the group, so it would always look behind)."""
    return sorted(
        (tp for tp in assigned if tp.topic not in changelogs), key=lambda tp: (tp.topic, tp.partition)
    )


def stream_lag(ends: Mapping[TP, int], committed: Mapping[TP, int | None]) -> dict[TP, int]:
    """Messages not yet committed on each partition whose committed offset is known."""
    return {tp: max(0, end - known) for tp, end in ends.items() if (known := committed.get(tp)) is not None}


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


@dataclass
class Watchdog:
    """Stall detection; `check` runs on the event loop, `stalled` anywhere (the web server's thread)."""

    limit: float  # seconds without progress while lag exists
    clock: Callable[[], float] = time.monotonic
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
            self.reported = False
        self.token, self.lag = token, lag
        if self.stalled() and not self.reported:
            self.reported = True
            log.error(
                "no progress for %.0f s while %d message(s) wait on this worker's partitions: "
                "liveness now fails so the worker is restarted",
                now - self.last_progress,
                lag,
            )

    def stalled(self) -> str | None:
        """Why the worker counts as stalled, or None."""
        idle = self.clock() - self.last_progress
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
    lag: dict[TP, int] = {}
    committed: dict[TP, int | None] = {}
    if not busy:
        changelogs = {table.changelog_topic.get_topic_name() for table in app.tables.values()}
        tps = stream_partitions(set(consumer.assignment()), changelogs)
        # Faust's own record of the group's committed offsets (set when it seeks to them after an
        # assignment, and on each commit): private, under the exact Faust pin.
        committed = {tp: consumer._committed_offset.get(tp) for tp in tps}
        if tps:
            unknown = [tp for tp, offset in committed.items() if offset is None]
            # Nothing committed yet by the group: consumption starts at the log start (auto_offset_reset
            # earliest, Faust's default), so that is where lag counts from.
            if unknown:
                committed.update(await consumer.earliest_offsets(*unknown))
            lag = stream_lag(await consumer.highwaters(*tps), committed)
    token = progress_token(metrics, {tp: c for tp, c in committed.items() if c is not None})
    watchdog.observe(token, sum(lag.values()), busy)


def register(app: AppT, metrics: Metrics, limit: float) -> Watchdog:
    """Look at `app` every few seconds on its event loop; the returned watchdog says whether it stalled."""
    watchdog = Watchdog(limit)

    # A look asks the broker twice through Faust's consumer thread: 1 to 3 s on a busy 2-core machine.
    @app.timer(interval=max(3.0, min(5.0, limit / 3)))
    async def watch() -> None:
        try:
            await look(app, watchdog, metrics)
        except Exception:  # the broker unreachable, say: lag unknown, and a restart would not help
            log.warning("progress watchdog: could not look at the worker", exc_info=True)
            watchdog.observe(None, 0, busy_elsewhere=True)

    return watchdog
