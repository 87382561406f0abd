"""The progress watchdog on a hand-driven clock: lag and no progress for longer than the limit is a stall;
a slow batch, an idle worker, a rebalance or recovery is not."""

from __future__ import annotations

import asyncio
import time

import pytest
from faust.types import TP

from streams.enrichment.agents import fault_stalls
from streams.settings import Settings
from streams.worker import watchdog as watchdog_module
from streams.worker.health import Metrics
from streams.worker.watchdog import (
    MIN_LIMIT,
    Watchdog,
    check_interval,
    look_or_excuse,
    progress_token,
    register,
)


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
    # Batches of 9.5 s against a 10 s limit, one right after the other; looks every 2.5 s, but each
    # delayed by a slow broker (up to 3 s): a finished batch shows in the token only at the next look.
    clock = Clock()
    moved = [clock.now]
    dog = Watchdog(limit=10, clock=clock, batch_moved=lambda: moved[-1])
    handled = 0
    next_look = clock.now + 2.5
    for tenth in range(1, 1800):  # three minutes in steps of 0.1 s, lag throughout
        clock.now = 1000.0 + tenth / 10
        if tenth % 95 == 0:  # a batch ends; its count moves; the next starts
            handled += 1
            moved.append(clock.now)
        if clock.now >= next_look:
            dog.observe((handled,), lag=50, busy_elsewhere=False)
            next_look = clock.now + 2.5 + 3.0 * (tenth % 2)
        assert dog.stalled() is None, clock.now


def test_with_offsets_alone_the_same_slow_batches_looked_stalled() -> None:
    # The rule before batches were marked: the same worker, seen only through the token at its looks.
    clock = Clock()
    dog = Watchdog(limit=10, clock=clock)
    handled, verdicts = 0, []
    next_look = clock.now + 2.5
    for tenth in range(1, 1800):
        clock.now = 1000.0 + tenth / 10
        if tenth % 95 == 0:
            handled += 1
        if clock.now >= next_look:
            dog.observe((handled,), lag=50, busy_elsewhere=False)
            next_look = clock.now + 2.5 + 3.0 * (tenth % 2)
        verdicts.append(dog.stalled())
    assert any(v is not None for v in verdicts)


def test_a_batch_in_flight_for_longer_than_the_limit_is_a_stall() -> None:
    clock = Clock()
    started = [clock.now]  # one batch starts and never ends
    dog = Watchdog(limit=10, clock=clock, batch_moved=lambda: started[-1])
    dog.observe(("same",), lag=4, busy_elsewhere=False)
    for _ in range(4):
        clock.now += 2.5
        dog.observe(("same",), lag=4, busy_elsewhere=False)
    assert dog.stalled() is None  # 10 s exactly
    clock.now += 0.5
    assert dog.stalled() == "no progress for 10 s with 4 message(s) of lag (limit 10 s)"
    clock.now += 2.0
    assert dog.stalled() == "no progress for 12 s with 4 message(s) of lag (limit 10 s)"


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


@pytest.mark.asyncio
async def test_a_look_that_hangs_on_the_broker_ends_and_is_not_a_stall(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def hanging(app: object, dog: Watchdog, metrics: Metrics) -> None:
        await asyncio.sleep(3600)  # highwaters asked of a broker that never answers

    monkeypatch.setattr(watchdog_module, "look", hanging)
    clock = Clock()
    dog = Watchdog(limit=MIN_LIMIT, clock=clock)
    dog.observe(("x",), lag=3, busy_elsewhere=False)
    clock.now += MIN_LIMIT + 1
    assert dog.stalled() is not None
    started = time.monotonic()
    # Bounded here too, so a look_or_excuse that waited for the look would fail rather than hang.
    await asyncio.wait_for(look_or_excuse(object(), dog, Metrics()), timeout=30)  # type: ignore[arg-type]
    assert time.monotonic() - started < check_interval(MIN_LIMIT) + 1
    assert dog.stalled() is None  # lag unknown: the clock is reset, no restart for an unreachable broker


def test_the_token_moves_with_messages_dead_letters_and_commits() -> None:
    metrics = Metrics()
    first = progress_token(metrics, {TP("raw", 0): 5})
    metrics.messages.labels("clean", "ok").inc()
    second = progress_token(metrics, {TP("raw", 0): 5})
    metrics.dead_letters.labels("intake", "binary").inc()
    third = progress_token(metrics, {TP("raw", 0): 5})
    fourth = progress_token(metrics, {TP("raw", 0): 6})
    assert len({first, second, third, fourth}) == 4


def test_the_limit_leaves_room_for_four_looks_and_is_at_least_ten_seconds() -> None:
    assert check_interval(10) == 2.5 and check_interval(15) == 3.75 and check_interval(300) == 5.0
    with pytest.raises(ValueError, match="NEWSSTREAMS_STALL_SECONDS"):
        register(None, Metrics(), [], MIN_LIMIT - 1)  # type: ignore[arg-type]


def test_batch_marks_start_and_successful_end_only() -> None:
    metrics = Metrics()
    assert metrics.batch_moved == float("-inf")
    with metrics.batch():
        started = metrics.batch_moved
        time.sleep(0.01)
    assert metrics.batch_moved > started > float("-inf")
    with pytest.raises(RuntimeError), metrics.batch():
        failed_start = metrics.batch_moved
        time.sleep(0.01)
        raise RuntimeError("a failed batch")
    assert metrics.batch_moved == failed_start  # its start, not an end: a failure is no progress


def test_fault_hooks_are_off_unless_set() -> None:
    defaults = Settings.from_env({})
    assert defaults.fault_stall_after == 0 and defaults.fault_slow_batch == 0.0
    assert not any(fault_stalls(defaults, taken) for taken in (1, 10, 10**9))
    armed = Settings.from_env({"NEWSSTREAMS_FAULT_STALL_AFTER": "3"})
    assert [fault_stalls(armed, taken) for taken in (1, 3, 4)] == [False, False, True]
