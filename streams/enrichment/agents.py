"""The enrichment feature in the worker: batched spaCy parses in child processes, fan-out events, known people."""

from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

import faust

from streams.cleaning.expiry import Expiring, StateExpiry, event_time
from streams.enrichment.nlp_process import NlpProcess
from streams.enrichment.people import KnownPeople, forgotten, taught
from streams.enrichment.people_feed import follow
from streams.enrichment.results import Enriched
from streams.events import flow
from streams.events.errors import Reason, Rejected
from streams.events.flow import Topics, internal_config
from streams.events.records import CleanArticle
from streams.kills.gate import CANCELED
from streams.kills.retract import correct, stamp, withdraw
from streams.settings import Settings
from streams.worker.delivery import Delivery
from streams.worker.tables import as_event

log = logging.getLogger(__name__)


def fault_stalls(settings: Settings, taken: int) -> bool:
    """Test-only fault (`fault_stall_after`, 0 = off): the enrich agent has taken more articles than
    allowed and stops consuming, as a worker in faust-streaming's silent stalls does."""
    return 0 < settings.fault_stall_after < taken


async def _stall_forever(settings: Settings) -> None:
    log.error("fault hook: enrich stops consuming after %d article(s)", settings.fault_stall_after)
    await asyncio.Event().wait()


def register(app: faust.App, topics: Topics, settings: Settings, delivery: Delivery) -> None:
    """Add the model loader, the people follower and the batched enrich agent to `app`."""
    metrics = delivery.metrics
    nlp = NlpProcess(settings, metrics)
    if settings.fault_stall_after or settings.fault_slow_batch or settings.fault_nlp_crash:
        log.warning("test-only fault hooks are on (NEWSSTREAMS_FAULT_*): not for production")

    # Clean articles are keyed (so spread) by article id: each worker folds every source's people from
    # news.people.learned, which the enrich stage writes, into its own memory.
    known_people = KnownPeople()
    people_read = asyncio.Event()

    @app.task
    async def follow_people() -> None:
        while True:
            try:
                await follow(settings, topics.people_learned.get_topic_name(), known_people, people_read)
            except Exception:  # read again from the beginning (merging twice changes nothing)
                log.exception("reading news.people.learned failed; starting again in 5 s")
                await asyncio.sleep(5)

    delivery.readiness.append(lambda: None if nlp.enricher else "loading the NLP models")
    delivery.readiness.append(lambda: None if people_read.is_set() else f"reading {flow.PEOPLE_LEARNED.name}")

    @app.task
    async def load_models() -> None:
        # Load spaCy and the topic model at start, in the NLP processes, not on the first article.
        await nlp.load()
        # What is loaded now (libraries, tables read so far) lives as long as the worker. Out of the
        # garbage collector's reach, a full collection no longer walks it (without: ~130 ms each, in bursts
        # that stalled every stage for a second or more).
        gc.freeze()

    @app.on_before_shutdown.connect
    async def stop_nlp(app: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        await nlp.close()  # no NLP process outlives the worker

    # What each article's latest version published, so a correction or a kill can take it back.
    retracting = Retracting(app, settings, delivery, known_people)
    deliver_one = retracting.deliver

    @app.on_partitions_revoked.connect
    async def forget_watermarks(app: Any, /, *args: Any, **kwargs: Any) -> None:
        # Another worker may write a partition's entries while this one does not hold it: its watermark is
        # read again from the table when it comes back.
        retracting.expiry.forget()

    # CleanArticle ──enrich (batched, one parse each)──► enriched article, entities, quotes, topics
    #   a tombstone (a kill) ──► enriched tombstone, a retraction of each event it published
    @app.agent(topics.clean, name="enrich")
    async def enrich_agent(stream: faust.StreamT[bytes]) -> None:
        async def deliver(events: list[faust.EventT], results: list[Any]) -> None:
            for event, result in zip(events, results, strict=True):
                await deliver_one(event, result)
            for event in events:
                await stream.ack(event)

        # A batch's events are sent while the NLP processes parse the next batch: they are not left
        # idle for the sends. One batch is delivered at a time, in order, so per-key order holds.
        delivering: asyncio.Task[None] | None = None
        # noack_take, acked by hand after the outputs are sent: take_events acks a batch whenever its
        # generator closes, also mid-batch on a rebalance, and those articles were never enriched.
        batches = cast(Any, stream).noack_take(settings.batch_size, within=settings.batch_within)
        taken = 0
        try:
            async for events in batches:
                taken += len(events)
                if fault_stalls(settings, taken):
                    await _stall_forever(settings)
                # A batch in flight is progress to the watchdog until it has run longer than its limit.
                with metrics.batch():
                    if settings.fault_slow_batch:  # test-only (0 = off): a batch as slow as a long one
                        await asyncio.sleep(settings.fault_slow_batch)
                    # What the sources' earlier articles taught, up to where this worker started, first.
                    await people_read.wait()
                    items = [read_clean(e) for e in events]
                    articles = [i for i in items if isinstance(i, CleanArticle)]
                    known = {a.source: known_people.get(a.source) for a in articles}
                    with metrics.timed("enrich"):
                        enriched = iter(await nlp.run(articles, known) if articles else [])
                    results = [next(enriched) if isinstance(i, CleanArticle) else i for i in items]
                    # The next batch learns from this one before it is parsed, as if articles came one by
                    # one.
                    results = [
                        replace(r, outgoing=taught(known_people, r.outgoing))
                        if isinstance(r, Enriched)
                        else r
                        for r in results
                    ]
                    if delivering is not None:
                        await delivering  # the batch before, in order; its failure stops the agent here
                    delivering = asyncio.create_task(deliver(events, results))
        finally:
            if delivering is not None and not delivering.done():
                # Stopping: a batch not wholly sent stays unacked and is enriched again on restart.
                delivering.cancel()


class Retracting:
    """The enrich stage's memory of what each article's latest version published (a table keyed, like its
    input, by article id), and the delivery of one input's outputs with what it takes back.

    Its entries expire `state_days` after their article's event time, against the highest event time their
    input partition has delivered, as the clean stage's article versions do (streams/cleaning/expiry.py):
    without it the table and its changelog kept one entry per article ever enriched."""

    def __init__(self, app: faust.App, settings: Settings, delivery: Delivery, known: KnownPeople) -> None:
        self.settings = settings
        self.delivery = delivery
        self.known = known
        self.published: Any = app.Table(
            "enrich-published",
            partitions=settings.partitions,
            default=None,
            options=settings.table_options(),
            extra_topic_configs=internal_config(settings),
        )
        self.expiry = StateExpiry([Expiring(self.published, stamp)], settings.state_days)

    async def deliver(self, event: faust.EventT, item: Any) -> None:
        """One input's outputs: a kill's retractions, an article's new events (or its failure's letter)."""
        if isinstance(item, Exception):
            await self.delivery.refuse("enrich", item, event)
            return
        partition = event.message.partition
        with as_event(event):  # the table's partition is the input's (both keyed by article id)
            if not self.expiry.loaded(partition):  # a start or a rebalance: its watermark from the table
                self.expiry.load(partition)
            limit = self.expiry.limit(partition)
            if isinstance(item, Killed):
                pipeline = self.settings.pipeline_version
                old = self.published.get(item.article_id)
                outgoing = withdraw(self.published, item.article_id, item.status, item.when, pipeline, limit)
                # The people it alone taught no longer resolve names for its source.
                outgoing += forgotten(self.known, item.article_id, int(old["v"]) if old else 0, pipeline)
            else:
                article = item.article
                published = article.published_at.timestamp() if article.published_at else None
                time = event_time(published, float(event.message.timestamp))
                outgoing = correct(self.published, article, item.outgoing, (partition, time), limit)
                # Due sweeps delete expired entries here, one tombstone each on this partition's changelog.
                self.expiry.advance(partition, time)
        if await self.delivery.send_all("enrich", outgoing, event):
            outcome = "kill" if isinstance(item, Killed) else "ok"
            self.delivery.metrics.messages.labels("enrich", outcome).inc()


@dataclass(frozen=True)
class Killed:
    """A tombstone on news.articles.clean: the gate's kill, read from its CloudEvents headers."""

    article_id: str
    status: str
    when: datetime | None


def read_clean(event: faust.EventT) -> CleanArticle | Killed | Exception:
    """One news.articles.clean message: a version to enrich, a kill, or why it cannot be read."""
    if event.value is None:
        headers = {k: bytes(v).decode("utf-8", "replace") for k, v in dict(event.headers or {}).items()}
        when = headers.get("ce_time")
        return Killed(
            article_id=(event.key or b"").decode("utf-8", "replace")
            if isinstance(event.key, bytes)
            else str(event.key),
            status=headers.get("ce_killstatus", CANCELED),
            when=datetime.fromisoformat(when) if when else None,
        )
    try:
        return CleanArticle.loads(event.value, serializer="orjson")
    except Exception as exc:
        return Rejected(Reason.MALFORMED_JSON, f"not a clean article: {exc}")
