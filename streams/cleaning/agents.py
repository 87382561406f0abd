"""The cleaning feature in the worker: intake re-keys raw articles by source, clean runs the stage."""

from __future__ import annotations

from typing import Any

import faust
from aiokafka.errors import MessageSizeTooLargeError
from faust.exceptions import ProducerSendError

from streams.cleaning.stage import State, clean_stage, intake
from streams.events.errors import Reason, Rejected
from streams.events.flow import Topics, internal_config
from streams.settings import Settings
from streams.worker.delivery import ORIGIN_KEY, ORIGIN_TOPIC, Delivery


def register(app: faust.App, topics: Topics, settings: Settings, delivery: Delivery) -> None:
    """Add the clean stage's tables and the intake and clean agents to `app`."""
    metrics = delivery.metrics

    def table(name: str) -> Any:
        return app.Table(
            name,
            partitions=settings.partitions,
            default=None,
            options=settings.table_options(),
            extra_topic_configs=internal_config(settings),
        )

    state = State(
        versions=table("clean-article-versions"),
        learned=table("clean-learned-boilerplate"),
        syndication=table("clean-syndication"),
    )

    # raw bytes ──intake──► the same bytes keyed by source (bad input ──► dead letter)
    @app.agent(topics.raw, name="intake")
    async def intake_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            try:
                with metrics.timed("intake"):
                    raw = intake(event.value, settings)
            except Exception as exc:  # one bad message never stops the agent
                await delivery.refuse("intake", exc, event)
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
                await delivery.refuse("intake", Rejected(Reason.TOO_LARGE, str(exc.__cause__)), event)
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
                await delivery.refuse("clean", exc, event)
                continue
            if await delivery.send_all("clean", outputs, event):
                metrics.messages.labels("clean", "ok" if outputs else "unchanged").inc()
