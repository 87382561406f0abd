"""The rebalance guards: stream partitions are sought before they resume, stale acks move no offset."""

from __future__ import annotations

from typing import Any

import faust
import pytest
from faust.types import TP
from faust.types.tuples import Message

from streams.rebalance import SafeRecovery, SafeTableManager, credit_only_current_acks, seek_before_resume

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


def message(offset: int, generation: int) -> Message:
    return Message(
        CLEAN.topic, CLEAN.partition, offset, 0.0, 0, {}, b"k", b"v", None, generation_id=generation
    )


@pytest.mark.asyncio
async def test_an_ack_of_a_message_from_an_older_generation_moves_no_offset() -> None:
    credit_only_current_acks()
    credit_only_current_acks()  # idempotent: the guard wraps Faust's ack once
    app = faust.App("rebalance-test", broker="kafka://127.0.0.1:1")
    app.topics.acking_topics.add(CLEAN.topic)
    app.consumer_generation_id = 3
    consumer = app.consumer
    consumer._thread.thread_loop.close()  # the consumer's own thread loop, never started here

    stale = message(5, generation=2)
    assert consumer.ack(stale) is False
    assert stale.acked  # released: a graceful stop does not wait for it
    assert not consumer._acked.get(CLEAN)

    current = message(5, generation=3)
    assert consumer.ack(current) is True
    assert list(consumer._acked[CLEAN]) == [5]
