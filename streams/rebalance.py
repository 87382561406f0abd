"""Two guards around Faust's rebalance handling, so that a rebalance never loses a message.

Found by the two-worker reliability test, which lost a whole enrich batch (21 clean articles, never
enriched, their offsets committed) on the worker that took over a killed worker's partitions:

1. **Seek before resume.** When a rebalance's table recovery completes, Faust (0.15.3) resumes the
   stream partitions and only then seeks them to their committed offsets, with flow already active.
   Records fetched while the seek runs are delivered into the agents' queues and advance the
   consumer's read offsets; the `flow_control.resume()` that follows clears those queues. The
   records are gone from the queues, their re-fetched copies are dropped as already read, and the gap
   in the acked offsets is taken for a compacted range and committed over. `SafeTableManager` gives
   the worker a recovery service that seeks the stream partitions while they are still paused and
   resumes them afterwards, so nothing is fetched before the seek.
2. **Stale acks earn no commit.** Faust acks a message it skips because it was fetched in an older
   consumer generation (the partition may have moved since); that ack would count towards the next
   committed offset although the message was never processed. `credit_only_current_acks` makes such an
   ack release the message without moving the offset: it is fetched and processed again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer
from faust.types import TP
from faust.types.tuples import Message, ack_lock
from mode.utils.futures import notify


@contextmanager
def seek_before_resume(consumer: Any) -> Iterator[None]:
    """Within the block, `consumer.resume_partitions` only notes the partitions, and they are resumed
    right after the next `consumer.perform_seek()` has finished (or when the block ends)."""
    resume: Callable[[Iterable[TP]], None] = consumer.resume_partitions
    seek: Callable[[], Any] = consumer.perform_seek
    held: set[TP] = set()

    def hold(tps: Iterable[TP]) -> None:
        held.update(tps)

    def release() -> None:
        if held:
            resume(set(held))
            held.clear()

    async def seek_then_resume() -> None:
        await seek()
        release()

    consumer.resume_partitions = hold
    consumer.perform_seek = seek_then_resume
    try:
        yield
    finally:
        del consumer.resume_partitions, consumer.perform_seek  # the class's methods again
        release()


class SafeRecovery(Recovery):
    """Faust's recovery service, with the stream partitions sought before they are resumed."""

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        with seek_before_resume(self.app.consumer):
            await super().on_recovery_completed(generation_id)

    async def _resume_streams(self, generation_id: int = 0) -> None:
        with seek_before_resume(self.app.consumer):
            await super()._resume_streams(generation_id)


class SafeTableManager(TableManager):
    """The table manager the worker uses (Faust's `TableManager` setting): its recovery is `SafeRecovery`."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = SafeRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery


def is_stale(consumer: Any, message: Message) -> bool:
    """Whether `message` was fetched in an earlier consumer generation than the current one."""
    fetched_in = getattr(message, "generation_id", None)
    return fetched_in is not None and fetched_in != consumer.app.consumer_generation_id


def credit_only_current_acks() -> None:
    """Patch Faust's consumer (once per process) so an ack of a stale message moves no offset."""
    original = Consumer.ack
    if getattr(original, "newsstreams_guard", False):
        return

    @functools.wraps(original)
    def ack(self: Any, message: Message) -> bool:
        if not is_stale(self, message):
            return bool(original(self, message))
        with ack_lock:
            if not message.acked:
                message.acked = True  # leaves the unacked set when wait_empty next looks
                notify(self._waiting_for_ack)
        return False

    ack.newsstreams_guard = True  # type: ignore[attr-defined]
    Consumer.ack = ack  # type: ignore[method-assign]
