"""Guards around Faust's rebalance handling, so that a rebalance never loses a message.

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
2. **Skipped messages earn no commit.** A stream skips a message fetched in an older consumer
   generation (the partition may have moved since), or any message it takes from its queue while the
   flow is stopped for a rebalance, and Faust acks it all the same. That ack would count towards the
   next committed offset although the message was never processed. `credit_only_current_acks` makes
   such an ack release the message without moving the offset: it is fetched and processed again. (A
   skipped message never reached an agent, so Faust has not marked it `tracked`.)

Found by a second worker joining the group during a backlog (in 3 of 29 drains of 300 articles, 57 to 85
were never enriched):

3. **A partition without a committed offset is read again from its start.** That seek moves only
   partitions with a committed offset above 0: aiokafka's `seek_to_committed` leaves the others where
   the consumer's fetching had got to. During the rebalance the consumer fetched records that Faust
   dropped unprocessed (it drops records fetched in the previous generation, or while its flow is
   stopped). Its position had moved past them, and no seek brought it back. The first record it then
   processed was acked. With nothing committed, Faust's commit takes any run of acked offsets, so it
   committed past the dropped records
   (`news.articles.clean` partition 0: offsets 0-63 never enriched, offset 65 committed). Where no
   later record was acked, the partition stalled instead, with nothing committed.
   `rewind_uncommitted` makes the seek put those partitions at their beginning, where a new consumer
   starts (`auto_offset_reset=earliest`).
4. **What was processed before a rebalance is committed before it.** Faust's consumer forgets the
   acked offsets of revoked partitions (every partition, in Kafka's eager rebalance) first, and only
   then stops the flow, waits for the streams and commits. Whatever was processed since the last
   periodic commit was then processed again by the partition's next owner. For the clean stage, which
   runs far ahead of the enrich stage, that was up to the whole backlog: in one drain of 1,500 articles
   with members joining and leaving, 1,265 articles were cleaned, enriched and published twice.
   `commit_before_revoke` stops the flow, waits for the streams and commits first.
5. **A batch fetched before a seek is not delivered after it.** The fetch loop asks the consumer thread
   for records and awaits them; the seek after a rebalance can run in between. Those records then
   arrived after the seek, from the old position (offset 33 where the seek had put the partition at
   21): Faust took the jump for a compacted range, counted 22-32 as processed and committed over
   them, and dropped the re-fetched 21-335 as already read (12 articles never enriched, in 1 of 4
   drains of 1,500 articles with members joining and leaving). `drop_batches_fetched_before_a_seek`
   leaves out the stream records of such a batch. Leaving them out alone can
   lose records too: a fetch that ends after the consumer thread's seek returns records from the new
   position, and the consumer's position has moved past them. So the
   partitions whose records were left out are sought back to the position the seek set before any
   more of their records are delivered.

Found by a worker taking over a killed worker's partitions with fetches that wait at most 20 ms for 64 KB
(tests/reliability/test_group.py: the survivor stalled in four runs of four; in the two looked into, the
records of one partition from its sought offset on were never delivered, 202 articles of
`news.articles.clean` partition 1 in one, with the consumer's position at the partition's end):

6. **A fetch drains only the partitions active when it was asked for.** Faust hands the consumer thread
   its live set of active partitions, and aiokafka's `fetched_records` drains the partitions in that set,
   or every partition when the set is empty. At the end of a recovery the set is empty for a moment: the
   changelog partitions are paused and the stream partitions are resumed only once the seek (guard 1) has
   finished. A fetch that came back in that moment drained every partition, records from the sought
   positions included, and Faust then left them out as not active: their positions had moved past them,
   so nothing fetched them again. `fetch_only_active_partitions` gives the thread a copy of the set as it
   was when Faust asked: records of partitions resumed later stay in aiokafka's buffer for the next fetch.
   The race needs no short wait, only a fetch that comes back in that moment; fetches that wait 20 ms
   instead of 1.5 s come back often enough to meet it in nearly every takeover.

Found by members joining and leaving during a backlog with the same short fetches (a worker stalled with
7 messages of lag; in 8 runs looked into, 7 lost records of stream partitions for a generation, 3 for good,
one run 138 articles never enriched, `news.articles.clean` partition 3, 281-418):

7. **A fetch drains only partitions still active when it drains.** Guard 6's copy of the active set outlives
   a rebalance: aiokafka's `fetched_records` waits out a rebalance, then up to the fetch's timeout for data,
   so a fetch asked for in one generation drained in the next, in the middle of its recovery's seek, while
   the stream partitions were paused (guard 1). Faust left the drained records out as not active, before
   guard 5 could see them, and where the seek had already put a partition back, its position had moved
   past them (281-418 drained from the sought 281; position 419, the partition's end; Faust's read and
   committed offsets 281). At a partition's end that is a stall; before it, Faust takes the jump to the
   next record for a compacted range and commits over the lost ones. `fetch_only_active_partitions` also
   asks Faust's live set when aiokafka drains (`StillActive`): the records of a partition paused meanwhile
   stay in aiokafka's buffer, and once the partition is resumed guard 5 or the seek decides what of them is
   delivered.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP
from faust.types.tuples import Message, ack_lock
from mode.utils.futures import notify

log = logging.getLogger(__name__)


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


def is_skipped(consumer: Any, message: Message) -> bool:
    """Whether an ack now is of a message a stream skipped: stale, or never handed to an agent (streams
    mark a message `tracked` as they hand it over) while the flow is stopped for a rebalance. The ack
    of a skipped message follows the skip at once, with no await between, so the flow has not moved."""
    return is_stale(consumer, message) or (not message.tracked and not consumer.app.flow_control.is_active())


def _guard(owner: type, name: str, make: Callable[[Any], Any]) -> None:
    """Replace the method `owner.name` with `make(original)`, once per process: calling a guard again
    leaves the method already guarded as it is."""
    original = getattr(owner, name)
    if getattr(original, "newsstreams_guard", False):
        return
    guarded: Any = functools.wraps(original)(make(original))
    guarded.newsstreams_guard = True
    setattr(owner, name, guarded)


def credit_only_current_acks() -> None:
    """Patch Faust's consumer so an ack of a skipped message moves no offset."""

    def make(original: Callable[[Any, Message], bool]) -> Callable[[Any, Message], bool]:
        def ack(self: Any, message: Message) -> bool:
            if not is_skipped(self, message):
                return bool(original(self, message))
            with ack_lock:
                if not message.acked:
                    message.acked = True  # leaves the unacked set when wait_empty next looks
                    notify(self._waiting_for_ack)
            return False

        return ack

    _guard(Consumer, "ack", make)


async def seek_to_committed_or_beginning(
    consumer: AIOKafkaConsumer, rewind: Callable[[str], bool]
) -> dict[TopicPartition, int | None]:
    """Seek every assigned partition to its committed offset; of the topics `rewind` names, a partition
    with no committed offset (or 0) goes back to its beginning. Returns the committed offsets, as
    `AIOKafkaConsumer.seek_to_committed` does."""
    committed: dict[TopicPartition, int | None] = await consumer.seek_to_committed()
    unset = [tp for tp, offset in committed.items() if not offset and rewind(tp.topic)]
    if unset:
        await consumer.seek_to_beginning(*unset)
    return committed


def rewind_uncommitted() -> None:
    """Patch Faust's aiokafka consumer thread: its seek to the committed offsets also puts the stream
    partitions with nothing committed back at their beginning. Table changelogs, which are read without
    acks or commits and positioned by the table recovery, are left where they are."""

    def make(_original: Any) -> Any:
        async def seek_to_committed(self: Any) -> Any:
            consumer = self._ensure_consumer()
            return await self.call_thread(
                seek_to_committed_or_beginning, consumer, self.app.topics.acks_enabled_for
            )

        return seek_to_committed

    _guard(AIOKafkaConsumerThread, "seek_to_committed", make)


def revoke_deadline(app: Any) -> float:
    """Seconds the streams get to finish and commit when partitions are revoked: half the rebalance
    timeout (Faust's `broker_rebalance_timeout`, 60 s by default)."""
    return float(app.conf.broker_rebalance_timeout) / 2


def commit_before_revoke() -> None:
    """Patch Faust's consumer to finish and commit what its streams hold when partitions are revoked,
    before it forgets the acked offsets."""

    def make(original: Any) -> Any:
        async def on_partitions_revoked(self: Any, revoked: set[TP]) -> None:
            # What Faust does after forgetting the acks, done before: no new message reaches an agent,
            # the messages agents hold are finished and acked, and the acked offsets are committed
            # (Faust's commit flushes the producer first).
            # Bounded: a member that takes longer than the rebalance timeout is dropped from the group, so
            # half of it goes to finishing; what is not finished by then is redone by the next owner.
            deadline = revoke_deadline(self.app)
            try:
                self.stop_flow()
                self.app.flow_control.suspend()
                await asyncio.wait_for(self.wait_empty(), timeout=deadline)
            except TimeoutError:
                log.warning(
                    "streams not finished %.0f s into a rebalance; their uncommitted messages will be redone",
                    deadline,
                )
            except Exception:  # as before: the next owner processes those messages again
                log.exception("committing before the rebalance failed; uncommitted messages will be redone")
            await original(self, revoked)

        return on_partitions_revoked

    _guard(Consumer, "on_partitions_revoked", make)


async def seek_partitions(consumer: AIOKafkaConsumer, targets: dict[TP, int | None]) -> None:
    """In the consumer's thread: put each still-assigned partition at its offset (None: its beginning)."""
    assigned = consumer.assignment()
    for tp, offset in targets.items():
        partition = TopicPartition(tp.topic, tp.partition)
        if partition not in assigned:
            continue  # moved to another member by a rebalance since: its new owner starts from the commit
        if offset:
            consumer.seek(partition, offset)
        else:
            await consumer.seek_to_beginning(partition)


def drop_batches_fetched_before_a_seek() -> None:
    """Patch Faust's consumer: records of stream topics fetched by a `getmany` during which a seek began or
    was under way are left out, and their partitions are sought back to where that seek put them before
    anything more of them is delivered; changelog records, which no seek moves back, are kept. (The check
    costs well under a microsecond a record.)

    Leaving such records out is not enough: the records a fetch returns after the consumer thread's seek
    come from the new position, and the consumer's position has moved past them, so they are sought back
    to (`seek_partitions`) from the position the seek set (Faust's read offset: the committed offset, or
    none for a partition read from its beginning), once no seek is under way."""

    def counting(original: Any) -> Any:
        async def perform_seek(self: Any) -> None:
            self.newsstreams_seeks = getattr(self, "newsstreams_seeks", 0) + 1
            try:
                await original(self)
            finally:
                self.newsstreams_sought = getattr(self, "newsstreams_sought", 0) + 1

        return perform_seek

    def seeking(self: Any) -> bool:
        return getattr(self, "newsstreams_seeks", 0) != getattr(self, "newsstreams_sought", 0)

    def filtering(original: Any) -> Any:
        async def getmany(self: Any, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
            pending: set[TP] = self.__dict__.setdefault("newsstreams_reseek", set())
            if pending and not seeking(self):
                targets = {tp: self._read_offset.get(tp) for tp in pending}
                thread = self._thread
                await thread.call_thread(seek_partitions, thread._ensure_consumer(), targets)
                pending.clear()
            seeks = getattr(self, "newsstreams_seeks", 0)
            acked = self.app.topics.acks_enabled_for
            async for tp, message in original(self, timeout):
                if acked(tp.topic) and (
                    tp in pending or seeking(self) or getattr(self, "newsstreams_seeks", 0) != seeks
                ):
                    pending.add(tp)  # fetched around a seek, from the old position or the new
                    continue
                yield tp, message

        return getmany

    _guard(Consumer, "perform_seek", counting)
    _guard(Consumer, "getmany", filtering)


class StillActive:
    """The partitions a fetch may drain, as aiokafka's `fetched_records` asks at the moment it drains: those
    active when Faust asked for the fetch (`asked`, a copy) that are still in Faust's live set (`live`). Never
    empty to aiokafka, for which an empty set means every partition. (The fetch drains in the consumer
    thread; a membership test of the live set is atomic, and one that meets a change counts as not active,
    which leaves the records in aiokafka's buffer.)"""

    __slots__ = ("asked", "live")

    def __init__(self, asked: set[TP], live: set[TP]) -> None:
        self.asked, self.live = asked, live

    def __contains__(self, tp: object) -> bool:
        return tp in self.asked and tp in self.live

    def __bool__(self) -> bool:  # aiokafka asks only this and `in`
        return True


def fetch_only_active_partitions() -> None:
    """Patch Faust's aiokafka consumer thread: each fetch drains only partitions that were active when Faust
    asked for it (a copy of Faust's live set, which rebalances and recoveries change while the fetch waits)
    and still are when aiokafka drains them (`StillActive`), and a fetch asked for with none active drains
    none (aiokafka would take an empty set for every partition).

    A fetch asked for in one generation can drain in the next (guard 7 of this module's docstring)."""

    def make(original: Any) -> Any:
        async def getmany(self: Any, active_partitions: set[TP] | None, timeout: float) -> Any:
            if active_partitions is None:  # a client-only app: every assigned partition, as Faust means
                return await original(self, None, timeout)
            asked = set(active_partitions)
            if not asked:
                return {}
            return await original(self, StillActive(asked, active_partitions), timeout)

        return getmany

    _guard(AIOKafkaConsumerThread, "getmany", make)


# The faust-streaming this module (and trending's store) was written against, pinned exactly in
# pyproject.toml, and every private attribute they patch or rely on in it.
FAUST_VERSION = "0.15.3"
FAUST_INTERNALS: tuple[tuple[Any, str], ...] = (
    (Consumer, "ack"),
    (Consumer, "on_partitions_revoked"),
    (Consumer, "perform_seek"),
    (Consumer, "getmany"),
    (Consumer, "resume_partitions"),
    (AIOKafkaConsumerThread, "seek_to_committed"),
    (AIOKafkaConsumerThread, "getmany"),
    (AIOKafkaConsumerThread, "call_thread"),
    (AIOKafkaConsumerThread, "_ensure_consumer"),
    (AIOKafkaConsumerThread, "_create_worker_consumer"),  # streams/worker/fetching.py
    (Recovery, "on_recovery_completed"),
    (Recovery, "_resume_streams"),
    (TableManager, "recovery"),
    (Message, "tracked"),
)


class FaustInternalsChanged(RuntimeError):
    """The installed faust-streaming is not the one the rebalance guards were written for."""


def check_faust_internals(internals: Iterable[tuple[Any, str]] = FAUST_INTERNALS) -> None:
    """Fail at start, with what is wrong, when Faust's version or a patched attribute is not as expected."""
    import faust
    import faust.streams

    problems = [f"faust-streaming is {faust.__version__}, not {FAUST_VERSION}"]
    if faust.__version__ == FAUST_VERSION:
        problems = []
    # An abstract method left on a base class once the concrete one is gone counts as gone.
    missing = [
        (owner, name)
        for owner, name in internals
        if getattr(getattr(owner, name, None), "__isabstractmethod__", not hasattr(owner, name))
    ]
    problems += [f"{getattr(owner, '__qualname__', owner)}.{name} is gone" for owner, name in missing]
    if not hasattr(faust.streams, "_current_event"):
        problems.append("faust.streams._current_event is gone")
    if problems:
        raise FaustInternalsChanged(
            "the worker patches faust-streaming's internals (streams/worker/rebalance.py, "
            f"streams/trending/store.py) and cannot run safely: {'; '.join(problems)}. "
            f"Install faust-streaming=={FAUST_VERSION} or review the guards against the new version."
        )


def install_guards() -> None:
    """Guards 2 to 7 of this module's docstring, patched into Faust's classes once per process (the
    first is the worker's `TableManager` setting, `SafeTableManager`)."""
    check_faust_internals()
    credit_only_current_acks()
    rewind_uncommitted()
    commit_before_revoke()
    drop_batches_fetched_before_a_seek()
    fetch_only_active_partitions()
