"""The Faust app: topics, tables and thin agents that call the pure stages and route failures."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import faust

from streams import flow
from streams.deadletter import dead_letter
from streams.pipeline import Outgoing, State, clean_stage, intake
from streams.records import cloudevent_headers
from streams.settings import Settings

log = logging.getLogger(__name__)


def broker_credentials(settings: Settings) -> Any:
    """Kafka TLS/SASL options from settings, as Faust credentials (None for plain text)."""
    protocol = settings.security_protocol.upper()
    ssl_context = None
    if protocol in ("SSL", "SASL_SSL"):
        ssl_context = faust.auth.ssl.create_default_context(
            purpose=faust.auth.ssl.Purpose.SERVER_AUTH,
            cafile=settings.ssl_cafile or None,
        )
        if settings.ssl_certfile:
            ssl_context.load_cert_chain(settings.ssl_certfile, keyfile=settings.ssl_keyfile or None)
    if protocol.startswith("SASL"):
        mechanism = settings.sasl_mechanism.upper() or "PLAIN"
        if mechanism.startswith("SCRAM"):
            return faust.SASLCredentials(
                username=settings.sasl_username,
                password=settings.sasl_password,
                ssl_context=ssl_context,
                mechanism=mechanism,
            )
        return faust.SASLCredentials(
            username=settings.sasl_username, password=settings.sasl_password, ssl_context=ssl_context
        )
    if ssl_context is not None:
        return faust.SSLCredentials(ssl_context)
    return None


def create_app(settings: Settings) -> faust.App:
    """Build the worker app for `settings`: every stage of the flow as an agent."""
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id,
        broker=settings.broker,
        broker_credentials=broker_credentials(settings),
        store=settings.store,
        datadir=str(data_dir),
        topic_partitions=settings.partitions,
        topic_replication_factor=1,
        processing_guarantee=settings.processing_guarantee,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=True,
        producer_acks=-1,
        autodiscover=False,
        table_cleanup_interval=60.0,
    )
    topics = flow.declare(app, settings)
    state = State(
        versions=app.Table("clean-article-versions", partitions=settings.partitions, default=None),
        learned=app.Table("clean-learned-boilerplate", partitions=settings.partitions, default=None),
        syndication=app.Table("clean-syndication", partitions=settings.partitions, default=None),
        people=app.Table("entities-known-people", partitions=settings.partitions, default=None),
    )
    by_spec = {
        flow.RAW_BY_SOURCE: topics.raw_by_source,
        flow.CLEAN: topics.clean,
        flow.ENRICHED: topics.enriched,
        flow.ENTITIES: topics.entities,
        flow.QUOTES: topics.quotes,
        flow.TOPICS: topics.topics,
        flow.TRENDING: topics.trending,
        flow.DEADLETTER: topics.deadletter,
    }

    async def send(out: Outgoing) -> None:
        await by_spec[out.spec].send(
            key=out.key.encode("utf-8"), value=out.event, headers=cloudevent_headers(out.event)
        )

    async def refuse(stage: str, error: Exception, event: faust.EventT) -> None:
        letter = dead_letter(
            stage=stage,
            error=error,
            key=event.key,
            value=event.value,
            topic=event.message.topic,
            pipeline_version=settings.pipeline_version,
        )
        log.warning(
            "dead-letter stage=%s reason=%s key=%r: %s",
            stage,
            letter.reason,
            letter.original_key,
            letter.detail,
        )
        await send(Outgoing(flow.DEADLETTER, letter.original_key or "", letter))

    # raw bytes ──intake──► the same bytes keyed by source (bad input ──► dead letter)
    @app.agent(topics.raw, name="intake")
    async def intake_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            try:
                raw = intake(event.value, settings)
            except Exception as exc:  # one bad message never stops the agent
                await refuse("intake", exc, event)
                continue
            await topics.raw_by_source.send(key=raw.source.encode("utf-8"), value=event.value)

    # raw bytes by source ──clean──► CleanArticle keyed by article id
    @app.agent(topics.raw_by_source, name="clean")
    async def clean_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            try:
                # Validated by intake already; parsing again here is ~50 µs and keeps the
                # original bytes on this topic for any dead letter this stage writes.
                outputs = clean_stage(intake(event.value, settings), settings, state)
            except Exception as exc:
                await refuse("clean", exc, event)
                continue
            for out in outputs:
                await send(out)

    app.conf.newsstreams_topics = topics
    return app


def run_worker(settings: Settings, *, loglevel: str | None = None) -> None:
    """Run the Faust worker in this process until it is stopped (SIGINT/SIGTERM)."""
    import asyncio

    from faust.worker import Worker

    from streams.admin import apply

    # Source topics must exist before the consumer subscribes, or the first assignment misses them
    # until the next metadata refresh (minutes). Declaring them also sets retention and compaction.
    for change in asyncio.run(apply(settings)):
        log.info("topic %s %s (%s)", change.topic, change.action, change.detail)
    app = create_app(settings)
    Worker(app, loglevel=loglevel or settings.log_level, quiet=True).execute_from_commandline()
