"""The progress watchdog on a hand-driven clock: lag and no progress for longer than the limit is a stall;
a slow batch, an idle worker, a rebalance or recovery is not."""

from __future__ import annotations

from faust.types import TP

from streams.worker.health import Metrics
from streams.worker.watchdog import Watchdog, progress_token, stream_lag, stream_partitions


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lag_and_no_progress_for_longer_than_the_limit_is_a_stall() -> None:
    clock = Clock()
    dog = Watchdog(limit=60, clock=clock)
    dog.observe(("same",), lag=7, busy_elsewhere=False)  # the first look sets the token: progress
    for _ in range(12):  # a look every 5 s, the token never moves, 7 messages waiting
        clock.now += 5
        dog.observe(("same",), lag=7, busy_elsewhere=False)
    assert dog.stalled() is None  # 60 s exactly: not over the limit
    clock.now += 5
    dog.observe(("same",), lag=7, busy_elsewhere=False)
    assert dog.stalled() == "no progress for 65 s with 7 message(s) of lag (limit 60 s)"
    # Progress again: live again.
    clock.now += 5
    dog.observe(("moved",), lag=6, busy_elsewhere=False)
    assert dog.stalled() is None


def test_a_slow_batch_that_ends_within_the_limit_never_fires() -> None:
    clock = Clock()
    dog = Watchdog(limit=10, clock=clock)
    handled = 0
    for second in range(120):  # a batch ends every 8 s; looks every second; lag throughout
        clock.now += 1
        if second % 8 == 7:
            handled += 1
        dog.observe((handled,), lag=50, busy_elsewhere=False)
        assert dog.stalled() is None


def test_no_lag_or_a_rebalance_or_recovery_is_not_a_stall() -> None:
    clock = Clock()
    dog = Watchdog(limit=10, clock=clock)
    for lag, busy in [(0, False)] * 30 + [(9, True)] * 30:
        clock.now += 1
        dog.observe(("same",), lag=lag, busy_elsewhere=busy)
    assert dog.stalled() is None


def test_a_blocked_event_loop_that_stops_looking_is_a_stall() -> None:
    clock = Clock()
    dog = Watchdog(limit=10, clock=clock)
    dog.observe(("x",), lag=3, busy_elsewhere=False)
    clock.now += 11  # no look at all since
    assert dog.stalled() is not None


def test_lag_counts_stream_partitions_with_known_commits_only() -> None:
    raw0, raw1, log0 = TP("raw", 0), TP("raw", 1), TP("app-versions-changelog", 0)
    assert stream_partitions({raw1, log0, raw0}, {"app-versions-changelog"}) == [raw0, raw1]
    # raw 0: 10 behind; raw 1: its committed offset is not known yet; ends below a commit count as 0.
    assert stream_lag({raw0: 40, raw1: 7}, {raw0: 30, raw1: None}) == {raw0: 10}
    assert stream_lag({raw0: 40}, {raw0: 45}) == {raw0: 0}


def test_the_token_moves_with_messages_dead_letters_and_commits() -> None:
    metrics = Metrics()
    first = progress_token(metrics, {TP("raw", 0): 5})
    metrics.messages.labels("clean", "ok").inc()
    second = progress_token(metrics, {TP("raw", 0): 5})
    metrics.dead_letters.labels("intake", "binary").inc()
    third = progress_token(metrics, {TP("raw", 0): 5})
    fourth = progress_token(metrics, {TP("raw", 0): 6})
    assert len({first, second, third, fourth}) == 4
