"""The rebalance guards: stream partitions are sought before they resume, acks of skipped messages move
no offset, uncommitted stream partitions are sought back to their beginning, and streams are finished and
committed before a rebalance drops their acks, and records fetched before a seek are not delivered after
it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import faust
import pytest
from aiokafka.consumer.fetcher import Fetcher, FetchResult
from aiokafka.structs import TopicPartition
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP
from faust.types.tuples import ConsumerMessage, Message

from streams.worker.rebalance import (
    SafeRecovery,
    SafeTableManager,
    commit_before_revoke,
    credit_only_current_acks,
    drop_batches_fetched_before_a_seek,
    fetch_only_active_partitions,
    rewind_uncommitted,
    seek_before_resume,
    seek_partitions,
    seek_to_committed_or_beginning,
)

CLEAN = TP("news.articles.clean", 0)


class RecordingConsumer:
    """Stands in for Faust's consumer: records the order of resumes and seeks."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def resume_partitions(self, tps: Any) -> None:
        self.calls.append(("resume", set(tps)))

    async def perform_seek(self) -> None:
        self.calls.append("seek")


@pytest.mark.asyncio
async def test_partitions_resumed_before_the_seek_are_resumed_after_it() -> None:
    consumer = RecordingConsumer()
    with seek_before_resume(consumer):
        # Faust's order inside on_recovery_completed: resume, then seek.
        consumer.resume_partitions({CLEAN})
        assert consumer.calls == []  # nothing fetched from the old position
        await consumer.perform_seek()
    assert consumer.calls == ["seek", ("resume", {CLEAN})]
    # Outside the block the consumer's own methods are back.
    consumer.resume_partitions({CLEAN})
    assert consumer.calls[-1] == ("resume", {CLEAN})


@pytest.mark.asyncio
async def test_partitions_held_without_a_seek_are_resumed_when_the_block_ends() -> None:
    consumer = RecordingConsumer()
    with seek_before_resume(consumer):
        consumer.resume_partitions({CLEAN})
    assert consumer.calls == [("resume", {CLEAN})]


@pytest.mark.asyncio
async def test_the_worker_app_recovers_with_the_safe_recovery() -> None:
    # async: inside the test's running loop, Faust makes no event loop of its own
    app = faust.App("rebalance-test", broker="kafka://127.0.0.1:1", TableManager=SafeTableManager)
    assert isinstance(app.tables.recovery, SafeRecovery)


def idle_consumer(*, generation: int = 0, rebalance_timeout: float = 60.0) -> Any:
    """A worker app's consumer that never starts, reading the clean topic with acks."""
    app = faust.App(
        "rebalance-test", broker="kafka://127.0.0.1:1", broker_rebalance_timeout=rebalance_timeout
    )
    app.topics.acking_topics.add(CLEAN.topic)
    app.consumer_generation_id = generation
    consumer: Any = app.consumer
    consumer._thread.thread_loop.close()  # the consumer's own thread loop, never started here
    return consumer


def message(offset: int, generation: int) -> Message:
    # What the consumer hands to streams: untracked until a stream hands it to an agent.
    return ConsumerMessage(
        CLEAN.topic, CLEAN.partition, offset, 0.0, 0, {}, b"k", b"v", None, generation_id=generation
    )


@pytest.mark.asyncio
async def test_an_ack_of_a_message_from_an_older_generation_moves_no_offset() -> None:
    credit_only_current_acks()
    credit_only_current_acks()  # idempotent: the guard wraps Faust's ack once
    consumer = idle_consumer(generation=3)

    stale = message(5, generation=2)
    assert consumer.ack(stale) is False
    assert stale.acked  # released: a graceful stop does not wait for it
    assert not consumer._acked.get(CLEAN)

    current = message(5, generation=3)
    current.tracked = True  # handed to an agent, which processed it
    assert consumer.ack(current) is True
    assert list(consumer._acked[CLEAN]) == [5]


@pytest.mark.asyncio
async def test_the_consumer_threads_seek_rewinds_only_acked_topics() -> None:
    rewind_uncommitted()
    rewind_uncommitted()  # idempotent: the guard wraps Faust's seek once
    consumer = idle_consumer()
    thread = consumer._thread
    calls: list[Any] = []

    async def call_thread(fun: Any, *args: Any) -> dict[Any, Any]:
        calls.append((fun, *args))
        return {}

    thread.call_thread = call_thread
    thread._ensure_consumer = lambda: "the aiokafka consumer"
    assert await thread.seek_to_committed() == {}
    [(fun, consumer, rewind)] = calls
    assert fun is seek_to_committed_or_beginning and consumer == "the aiokafka consumer"
    # The stream topic the worker acks goes back to its beginning when uncommitted; a changelog does not.
    assert rewind(CLEAN.topic) and not rewind("newsstreams-clean-article-versions-changelog")


@pytest.mark.asyncio
async def test_a_message_skipped_while_the_flow_is_stopped_moves_no_offset() -> None:
    credit_only_current_acks()
    consumer = idle_consumer(generation=3)
    app = consumer.app

    app.flow_control.suspend()  # a rebalance has begun
    skipped = message(7, generation=3)  # taken from the queue now: skipped, never handed to an agent
    assert consumer.ack(skipped) is False and skipped.acked
    handed_over = message(6, generation=3)  # an agent had it before the flow stopped, and finished it
    handed_over.tracked = True
    assert consumer.ack(handed_over) is True
    assert list(consumer._acked[CLEAN]) == [6]

    app.flow_control.resume()
    # With the flow on, an untracked ack (say, of a message that could not be decoded) counts as before.
    assert consumer.ack(message(8, generation=3)) is True


@pytest.mark.asyncio
async def test_streams_are_finished_and_committed_before_faust_forgets_the_acks() -> None:
    commit_before_revoke()
    commit_before_revoke()  # idempotent
    consumer = idle_consumer()
    app = consumer.app
    consumer._acked[CLEAN].extend([0, 1, 2])
    seen: list[tuple[str, list[int], bool]] = []

    async def wait_empty() -> None:  # Faust's: waits for the streams' messages, then commits
        seen.append(("wait_empty", list(consumer._acked[CLEAN]), app.flow_control.is_active()))

    async def app_side(revoked: set[TP]) -> None:  # Faust's own wait and commit, after the acks are gone
        seen.append(("app", list(consumer._acked.get(CLEAN, [])), app.flow_control.is_active()))

    app.flow_control.resume()
    consumer.wait_empty = wait_empty
    consumer._on_partitions_revoked = app_side
    await consumer.on_partitions_revoked({CLEAN})
    # The flow stopped, then the streams finished and committed while the acks were still known.
    assert seen == [("wait_empty", [0, 1, 2], False), ("app", [], False)]
    assert not consumer.flow_active


@pytest.mark.asyncio
async def test_a_failed_wait_before_a_rebalance_does_not_stop_it() -> None:
    commit_before_revoke()
    consumer = idle_consumer()
    revoked: list[set[TP]] = []

    async def wait_empty() -> None:
        raise RuntimeError("broker gone")

    async def app_side(tps: set[TP]) -> None:
        revoked.append(tps)

    consumer.wait_empty = wait_empty
    consumer._on_partitions_revoked = app_side
    await consumer.on_partitions_revoked({CLEAN})
    assert revoked == [{CLEAN}]


@pytest.mark.asyncio
async def test_the_wait_before_a_rebalance_ends_at_half_the_rebalance_timeout() -> None:
    commit_before_revoke()
    consumer = idle_consumer(rebalance_timeout=0.4)
    revoked: list[tuple[set[TP], float]] = []
    loop = asyncio.get_running_loop()

    async def wait_empty() -> None:  # an agent that never finishes its message
        await asyncio.sleep(3600)

    async def app_side(tps: set[TP]) -> None:
        revoked.append((tps, loop.time() - started))

    consumer.wait_empty = wait_empty
    consumer._on_partitions_revoked = app_side
    started = loop.time()
    await asyncio.wait_for(consumer.on_partitions_revoked({CLEAN}), timeout=5)
    [(tps, after)] = revoked
    assert tps == {CLEAN}
    assert 0.2 <= after < 1.0  # 0.4 s / 2, then Faust's own revoke


class ThreadConsumer:
    """Stands in for aiokafka's consumer in Faust's consumer thread: records the seeks asked of it."""

    def __init__(self, assigned: set[TopicPartition]) -> None:
        self.assigned = assigned
        self.seeks: list[tuple[TopicPartition, int | str]] = []

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))

    async def seek_to_beginning(self, *tps: TopicPartition) -> None:
        self.seeks.extend((tp, "beginning") for tp in tps)


def fetching_consumer(batches: list[dict[TP, list[int]]], committed: dict[TP, int]) -> tuple[Any, Any]:
    """A consumer whose fetches return `batches` in turn (each awaited as `fetch_hook` says), whose seek to
    the committed offsets goes to `committed`, and whose thread's aiokafka consumer is a ThreadConsumer."""
    drop_batches_fetched_before_a_seek()
    drop_batches_fetched_before_a_seek()  # idempotent
    consumer = idle_consumer()
    thread_consumer = ThreadConsumer({TopicPartition(CLEAN.topic, CLEAN.partition)})

    async def wait_next_records(timeout: float) -> tuple[dict[TP, list[int]], None]:
        await consumer.fetch_hook()
        return batches.pop(0), None

    async def seek_to_committed() -> dict[TP, int]:
        await consumer.seek_hook()
        return dict(committed)

    async def nothing() -> None:
        return None

    consumer.fetch_hook = consumer.seek_hook = nothing
    consumer._wait_next_records = wait_next_records
    consumer.seek_to_committed = seek_to_committed
    return wired(consumer, thread_consumer), thread_consumer


def wired(consumer: Any, thread_consumer: Any) -> Any:
    """`consumer` with its thread's calls run inline on `thread_consumer`, its messages made from offsets
    and its flow running."""

    async def call_thread(fun: Any, *args: Any, **kwargs: Any) -> Any:
        return await fun(*args, **kwargs)

    consumer._thread.call_thread = call_thread
    consumer._thread._ensure_consumer = lambda: thread_consumer
    consumer._to_message = lambda tp, offset: ConsumerMessage(
        tp.topic, tp.partition, offset, 0.0, 0, {}, b"k", b"v", None, generation_id=0
    )
    consumer.highwater = lambda tp: 0
    consumer.resume_flow()
    return consumer


async def fetch(consumer: Any) -> list[tuple[str, int]]:
    return sorted([(tp.topic, m.offset) async for tp, m in consumer.getmany(timeout=1.0)])


CHANGELOG = TP("newsstreams-clean-article-versions-changelog", 0)


@pytest.mark.asyncio
async def test_stream_records_fetched_before_a_seek_are_left_out_and_sought_again() -> None:
    # The seek to the committed offset 21 runs while the first fetch is awaited; that fetch returns records
    # from the old position (33, 34). The next fetch, after the partition is sought back, returns 21, 22.
    consumer, thread_consumer = fetching_consumer(
        [{CLEAN: [33, 34], CHANGELOG: [7]}, {CLEAN: [21, 22], CHANGELOG: [8]}], committed={CLEAN: 21}
    )
    seek_meanwhile = [True, False]

    async def fetch_hook() -> None:
        if seek_meanwhile.pop(0):
            await consumer.perform_seek()

    consumer.fetch_hook = fetch_hook
    assert await fetch(consumer) == [(CHANGELOG.topic, 7)]  # the changelog's record is kept
    assert await fetch(consumer) == sorted([(CLEAN.topic, 21), (CLEAN.topic, 22), (CHANGELOG.topic, 8)])
    # Sought back to where the seek put it, before its next records were delivered.
    assert thread_consumer.seeks == [(TopicPartition(CLEAN.topic, 0), 21)]


@pytest.mark.asyncio
async def test_records_fetched_from_the_new_position_during_a_seek_are_fetched_again() -> None:
    # The fetch ends while the seek is under way, with records from the position the seek set (21, 22):
    # left out, they would be skipped, since the consumer's position has moved past them.
    consumer, thread_consumer = fetching_consumer([{CLEAN: [21, 22]}, {}, {CLEAN: [21, 22]}], {})
    seek_started, go_on = asyncio.Event(), asyncio.Event()

    async def seek_hook() -> None:
        seek_started.set()
        await go_on.wait()

    consumer.seek_hook = seek_hook
    seek = asyncio.create_task(consumer.perform_seek())
    await seek_started.wait()
    assert await fetch(consumer) == []
    assert await fetch(consumer) == []  # the seek is still under way: nothing sought back yet
    assert thread_consumer.seeks == []
    go_on.set()
    await seek
    # Nothing committed: the partition is read from its beginning, where the seek put it.
    assert await fetch(consumer) == [(CLEAN.topic, 21), (CLEAN.topic, 22)]
    assert thread_consumer.seeks == [(TopicPartition(CLEAN.topic, 0), "beginning")]


class Records:
    """A partition's fetched records as aiokafka's `PartitionRecords` hands them out: offsets, in order."""

    def __init__(self, offsets: list[int]) -> None:
        self.offsets = iter(offsets)
        self.next_fetch_offset = offsets[0]

    def __iter__(self) -> Records:
        return self

    def __next__(self) -> int:
        offset = next(self.offsets)
        self.next_fetch_offset = offset + 1
        return offset


class Position:
    """A partition's fetch position in aiokafka's subscription state."""

    paused = False

    def __init__(self, records: Records) -> None:
        self.records = records

    @property
    def position(self) -> int:
        return self.records.next_fetch_offset

    def consumed_to(self, offset: int) -> None:
        pass


class BufferedFetcher:
    """aiokafka's fetcher with records already fetched for some partitions, drained by aiokafka's own
    `Fetcher.fetched_records` (the partitions asked for, or every partition when the set asked for is
    empty) once `arrived` is set: the broker's answer coming in while the fetch waits."""

    _closed = False

    def __init__(self, buffered: dict[TP, list[int]]) -> None:
        records = {tp: Records(offsets) for tp, offsets in buffered.items()}
        assignment = type(
            "Assignment", (), {"active": True, "state_value": lambda _, tp: Position(records[tp])}
        )()
        self._records = {
            tp: FetchResult(tp, assignment=assignment, partition_records=r, backoff=0)
            for tp, r in records.items()
        }
        self._subscriptions = type(
            "Subscriptions",
            (),
            {
                "fetch_context": contextlib.nullcontext,
                "reassignment_in_progress": False,
                "is_assigned": lambda _, tp: True,
            },
        )()
        self._wait_consume_future = None
        self.arrived = asyncio.Event()

    def _notify(self, future: Any) -> None:
        pass

    @property
    def buffered(self) -> set[TP]:
        return set(self._records)

    async def fetched_records(self, partitions: set[TP], timeout: float, max_records: int) -> dict[TP, Any]:
        await self.arrived.wait()
        return await Fetcher.fetched_records(self, partitions, timeout=0, max_records=max_records)  # type: ignore[arg-type]


def consumer_over(fetcher: BufferedFetcher) -> Any:
    """A never-started worker app's consumer whose thread's aiokafka consumer holds `fetcher`."""
    fetch_only_active_partitions()
    fetch_only_active_partitions()  # idempotent
    aiokafka_consumer = type(
        "Aiokafka", (), {"_fetcher": fetcher, "_closed": False, "_max_poll_records": 500}
    )
    return wired(idle_consumer(), aiokafka_consumer)


@pytest.mark.asyncio
async def test_a_fetch_drains_only_the_partitions_active_when_it_was_asked_for() -> None:
    # The end of a recovery: the fetch is asked for while only the changelog is active. While it waits, the
    # changelog is paused and the clean partition, sought to 21, is not resumed yet: Faust's live set is
    # empty. The answer holds the clean partition's records 21, 22.
    fetcher = BufferedFetcher({CLEAN: [21, 22], CHANGELOG: [7]})
    consumer = consumer_over(fetcher)
    consumer._set_active_tps({CHANGELOG})
    first = asyncio.create_task(fetch(consumer))
    await asyncio.sleep(0.01)  # the fetch is waiting in the consumer thread
    consumer.pause_partitions({CHANGELOG})
    assert consumer._get_active_partitions() == set()
    fetcher.arrived.set()
    # Nothing was drained: the clean partition was not active when the fetch was asked for, the changelog
    # no longer is when it drains. Both partitions' records stay where the next fetch finds them.
    assert await first == []
    assert fetcher.buffered == {CLEAN, CHANGELOG}
    consumer.resume_partitions({CLEAN})
    assert await fetch(consumer) == [(CLEAN.topic, 21), (CLEAN.topic, 22)]


@pytest.mark.asyncio
async def test_a_fetch_asked_for_before_a_rebalance_drains_nothing_paused_since() -> None:
    # A fetch asked for in one generation, with the clean partition active, waits out a rebalance. The new
    # generation has sought the partition to 21 and has not resumed it yet (guard 1) when the answer, from
    # 21 on, comes in: drained, Faust would leave it out as not active, with the position past it.
    fetcher = BufferedFetcher({CLEAN: [21, 22]})
    consumer = consumer_over(fetcher)
    consumer._set_active_tps({CLEAN})
    first = asyncio.create_task(fetch(consumer))
    await asyncio.sleep(0.01)  # the fetch is waiting in the consumer thread
    consumer.pause_partitions({CLEAN})  # the rebalance
    fetcher.arrived.set()
    assert await first == []
    assert fetcher.buffered == {CLEAN}
    consumer.resume_partitions({CLEAN})  # the seek has finished
    assert await fetch(consumer) == [(CLEAN.topic, 21), (CLEAN.topic, 22)]


@pytest.mark.asyncio
async def test_a_fetch_asked_for_with_no_partition_active_drains_none() -> None:
    fetcher = BufferedFetcher({CLEAN: [21]})
    fetcher.arrived.set()
    thread = consumer_over(fetcher)._thread
    assert await AIOKafkaConsumerThread.getmany(thread, set(), timeout=0.1) == {}
    assert fetcher.buffered == {CLEAN}


@pytest.mark.asyncio
async def test_aiokafka_drains_every_partition_for_an_empty_set() -> None:
    # What guard 6 protects against, in aiokafka's own code: an empty set asked for means every partition.
    fetcher = BufferedFetcher({CLEAN: [21, 22], CHANGELOG: [7]})
    fetcher.arrived.set()
    assert await fetcher.fetched_records(set(), timeout=0, max_records=500) == {
        CLEAN: [21, 22],
        CHANGELOG: [7],
    }


@pytest.mark.asyncio
async def test_a_partition_moved_away_meanwhile_is_not_sought() -> None:
    gone = TopicPartition("news.articles.clean", 3)
    thread_consumer = ThreadConsumer({TopicPartition(CLEAN.topic, 0)})
    await seek_partitions(thread_consumer, {CLEAN: 5, TP(gone.topic, gone.partition): 9})  # type: ignore[arg-type]
    assert thread_consumer.seeks == [(TopicPartition(CLEAN.topic, 0), 5)]


def test_the_guards_fail_at_start_with_a_clear_message_when_a_patched_attribute_is_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from faust.transport.consumer import Consumer

    from streams.worker.rebalance import FaustInternalsChanged, check_faust_internals

    check_faust_internals()  # the pinned version has them all
    monkeypatch.delattr(Consumer, "perform_seek")
    with pytest.raises(
        FaustInternalsChanged, match=r"Consumer\.perform_seek is gone.*faust-streaming==0\.15\.3"
    ):
        check_faust_internals()


def test_the_guards_refuse_another_faust_version(monkeypatch: pytest.MonkeyPatch) -> None:
    import faust

    from streams.worker.rebalance import FaustInternalsChanged, check_faust_internals

    monkeypatch.setattr(faust, "__version__", "0.16.0")
    with pytest.raises(FaustInternalsChanged, match=r"faust-streaming is 0\.16\.0, not 0\.15\.3"):
        check_faust_internals()
