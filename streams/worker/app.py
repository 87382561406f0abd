"""The Faust app: topics, tables and thin agents that call the pure stages and route failures."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import faust
from aiokafka.errors import MessageSizeTooLargeError
from faust.exceptions import ProducerSendError
from faust.worker import Worker

from streams.cleaning.stage import Outgoing, State, clean_stage, intake
from streams.enrichment.enrich import Enricher
from streams.enrichment.iptc import TopicClassifier
from streams.enrichment.nlp import load_model
from streams.enrichment.people import KnownPeople, follow
from streams.events import flow
from streams.events.deadletter import dead_letter
from streams.events.errors import Reason, Rejected
from streams.events.records import CleanArticle, cloudevent_headers
from streams.kafka.clients import faust_credentials
from streams.settings import Settings
from streams.trending import windows as trending
from streams.worker import health
from streams.worker.health import Metrics
from streams.worker.rebalance import SafeTableManager, install_guards

log = logging.getLogger(__name__)


# Headers on the re-keyed raw copy: the original message's key and topic.
ORIGIN_KEY = "ns-origin-key"
ORIGIN_TOPIC = "ns-origin-topic"


def create_app(settings: Settings) -> faust.App:
    """Build the worker app for `settings`: every stage of the flow as an agent."""
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id,
        broker=settings.broker,
        broker_credentials=faust_credentials(settings),
        store=settings.store,
        datadir=str(data_dir),
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        processing_guarantee=settings.processing_guarantee,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=True,
        producer_acks=-1,
        producer_linger=settings.producer_linger,
        # Faust's 1 MB defaults are below what intake accepts: a larger article's events could not be
        # sent, crashing the agent, and the supervisor's restart skipped the article without a trace.
        producer_max_request_size=settings.max_message_bytes,
        consumer_max_fetch_size=settings.max_message_bytes,
        autodiscover=False,
        table_cleanup_interval=60.0,
        # Seeks stream partitions before resuming them after a rebalance (streams/rebalance.py).
        TableManager=SafeTableManager,
    )
    install_guards()
    topics = flow.declare(app, settings)
    metrics = Metrics()
    readiness: list[Callable[[], str | None]] = []
    health.register(app, metrics, readiness)

    def table(name: str) -> Any:
        return app.Table(name, partitions=settings.partitions, default=None, options=settings.table_options())

    state = State(
        versions=table("clean-article-versions"),
        learned=table("clean-learned-boilerplate"),
        syndication=table("clean-syndication"),
    )
    by_spec = {
        flow.RAW_BY_SOURCE: topics.raw_by_source,
        flow.CLEAN: topics.clean,
        flow.ENRICHED: topics.enriched,
        flow.ENTITIES: topics.entities,
        flow.QUOTES: topics.quotes,
        flow.TOPICS: topics.topics,
        flow.PEOPLE_LEARNED: topics.people_learned,
        flow.TRENDING: topics.trending,
        flow.DEADLETTER: topics.deadletter,
    }

    async def send(out: Outgoing) -> None:
        await by_spec[out.spec].send(
            key=out.key.encode("utf-8"), value=out.event, headers=cloudevent_headers(out.event)
        )

    # A dead letter must fit in one Kafka message (headers and fields aside); base64 grows bytes by 4/3.
    letter_budget = settings.max_message_bytes - 64 * 1024

    async def refuse(stage: str, error: Exception, event: faust.EventT) -> None:
        # Records were decoded from the message; the dead letter keeps the bytes as they arrived.
        value = cast(bytes, event.value if isinstance(event.value, bytes) else event.message.value)
        headers = dict(event.headers or {})
        # Of an input too large for that, the letter keeps the first bytes (the whole message stays on its
        # topic for its retention); slicing first means a 50 MB input is never decoded or escaped whole.
        kept = value[: letter_budget * 3 // 4]
        while True:
            cause = error
            if len(kept) < len(value):
                reason = error.reason if isinstance(error, Rejected) else Reason.STAGE_ERROR
                detail = error.detail if isinstance(error, Rejected) else f"{type(error).__name__}: {error}"
                note = f"original_value keeps the first {len(kept)} of {len(value)} bytes"
                cause = Rejected(reason, f"{detail} ({note})")
            letter = dead_letter(
                stage=stage,
                error=cause,
                key=headers.get(ORIGIN_KEY, event.key),
                value=kept,
                topic=headers.get(ORIGIN_TOPIC, event.message.topic.encode()).decode("utf-8"),
                pipeline_version=settings.pipeline_version,
            )
            # JSON escaping can grow text up to sixfold (control characters): measure, shrink if needed.
            size = len(letter.dumps(serializer="orjson"))
            if size <= letter_budget or not kept:
                break
            kept = kept[: len(kept) * letter_budget // size * 9 // 10]
        metrics.messages.labels(stage, "dead_letter").inc()
        metrics.dead_letters.labels(stage, letter.reason).inc()
        log.warning(
            "dead-letter stage=%s reason=%s key=%r: %s",
            stage,
            letter.reason,
            letter.original_key,
            letter.detail,
        )
        await send(Outgoing(flow.DEADLETTER, letter.original_key or "", letter))

    async def send_all(stage: str, outputs: list[Outgoing], event: faust.EventT) -> bool:
        """Send one input's events; one too large for a Kafka message dead-letters the input instead of
        crashing the agent (whose restart would skip the input silently)."""
        try:
            for out in outputs:
                await send(out)
        except ProducerSendError as exc:
            if not isinstance(exc.__cause__, MessageSizeTooLargeError):
                raise
            await refuse(
                stage, Rejected(Reason.TOO_LARGE, f"an output event is too large: {exc.__cause__}"), event
            )
            return False
        return True

    # raw bytes ──intake──► the same bytes keyed by source (bad input ──► dead letter)
    @app.agent(topics.raw, name="intake")
    async def intake_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            try:
                with metrics.timed("intake"):
                    raw = intake(event.value, settings)
            except Exception as exc:  # one bad message never stops the agent
                await refuse("intake", exc, event)
                continue
            # The re-keyed copy remembers where it came from, for any dead letter the clean stage writes.
            try:
                await topics.raw_by_source.send(
                    key=raw.source.encode("utf-8"),
                    value=event.value,
                    headers={ORIGIN_KEY: event.key or b"", ORIGIN_TOPIC: event.message.topic.encode("utf-8")},
                )
            except ProducerSendError as exc:
                if not isinstance(exc.__cause__, MessageSizeTooLargeError):
                    raise
                await refuse("intake", Rejected(Reason.TOO_LARGE, str(exc.__cause__)), event)
                continue
            metrics.messages.labels("intake", "ok").inc()

    # raw bytes by source ──clean──► CleanArticle keyed by article id
    @app.agent(topics.raw_by_source, name="clean")
    async def clean_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            try:
                # Validated by intake already; parsing again here is ~50 µs and keeps the
                # original bytes on this topic for any dead letter this stage writes.
                with metrics.timed("clean"):
                    origin = f"{event.message.partition}:{event.message.offset}"
                    outputs = clean_stage(intake(event.value, settings), settings, state, origin)
            except Exception as exc:
                await refuse("clean", exc, event)
                continue
            if await send_all("clean", outputs, event):
                metrics.messages.labels("clean", "ok" if outputs else "unchanged").inc()

    enricher: list[Enricher] = []
    # spaCy runs in this one thread: the event loop stays free for sends, heartbeats and the web server.
    nlp_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlp")

    def get_enricher() -> Enricher:
        if not enricher:
            enricher.append(
                Enricher(
                    load_model(settings.model), TopicClassifier.load(settings.topic_model or None), settings
                )
            )
        return enricher[0]

    def enrich_batch(articles: list[CleanArticle], known: dict[str, dict[str, str]]) -> list[Any]:
        started = time.thread_time()
        try:
            return get_enricher().run(articles, known)
        finally:
            metrics.nlp_cpu.inc(time.thread_time() - started)

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

    readiness.append(lambda: None if enricher else "loading the NLP models")
    readiness.append(lambda: None if people_read.is_set() else f"reading {flow.PEOPLE_LEARNED.name}")

    @app.task
    async def load_models() -> None:
        # Load spaCy and the topic model at start, off the event loop, not on the first article.
        await asyncio.get_running_loop().run_in_executor(nlp_thread, get_enricher)
        # What is loaded now (libraries, models, tables read so far) lives as long as the worker. Out of
        # the garbage collector's reach, a full collection no longer walks it (without: ~130 ms each,
        # in bursts that stalled every stage for a second or more).
        gc.freeze()

    # CleanArticle ──enrich (batched, one parse each)──► enriched article, entities, quotes, topics
    @app.agent(topics.clean, name="enrich")
    async def enrich_agent(stream: faust.StreamT[CleanArticle]) -> None:
        loop = asyncio.get_running_loop()

        async def deliver(events: list[faust.EventT], results: list[Any]) -> None:
            for event, result in zip(events, results, strict=True):
                if isinstance(result, Exception):
                    await refuse("enrich", result, event)
                elif await send_all("enrich", result.outgoing, event):
                    metrics.messages.labels("enrich", "ok").inc()
            for event in events:
                await stream.ack(event)

        # A batch's events are sent while the NLP thread parses the next batch: the thread is not left
        # idle for the sends. One batch is delivered at a time, in order, so per-key order holds.
        delivering: asyncio.Task[None] | None = None
        # noack_take, acked by hand after the outputs are sent: take_events acks a batch whenever its
        # generator closes, also mid-batch on a rebalance, and those articles were never enriched.
        batches = cast(Any, stream).noack_take(settings.batch_size, within=settings.batch_within)
        try:
            async for events in batches:
                # What the sources' earlier articles taught, up to where this worker started, first.
                await people_read.wait()
                articles = [e.value for e in events]
                known = {a.source: known_people.get(a.source) for a in articles}
                with metrics.timed("enrich"):
                    results = await loop.run_in_executor(nlp_thread, enrich_batch, articles, known)
                # The next batch learns from this one before it is parsed, as if articles came one by one.
                for result in results:
                    if not isinstance(result, Exception):
                        known_people.learn(result.article.source, result.learned)
                if delivering is not None:
                    await delivering  # the batch before, in order; its failure stops the agent here
                delivering = asyncio.create_task(deliver(events, results))
        finally:
            if delivering is not None and not delivering.done():
                # Stopping: a batch not wholly sent stays unacked and is enriched again on restart.
                delivering.cancel()

    trending.register(app, topics, settings, send, lambda kind, n: metrics.trending_late.labels(kind).inc(n))
    app.conf.newsstreams_topics = topics
    return app


class ServiceWorker(Worker):
    """Faust's worker without its terminal spinner.

    At log levels of WARNING and above, the spinner set the root logger to DEBUG so that it spun on every
    record: each debug call of faust and aiokafka (several per Kafka message) then built a record that no
    handler kept. A service has no terminal to spin in.
    """

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        self.spinner = None


def run_worker(settings: Settings, *, loglevel: str | None = None) -> None:
    """Run the Faust worker in this process until it is stopped (SIGINT/SIGTERM)."""
    from streams.kafka.admin import apply

    # Source topics must exist before the consumer subscribes, or the first assignment misses them
    # until the next metadata refresh (minutes). Declaring them also sets retention and compaction.
    for change in asyncio.run(apply(settings)):
        log.info("topic %s %s (%s)", change.topic, change.action, change.detail)
    app = create_app(settings)
    ServiceWorker(app, loglevel=loglevel or settings.log_level, quiet=True).execute_from_commandline()
