"""The kill gate in the worker: an article's clean versions and its kills meet in its article-id partition."""

from __future__ import annotations

from typing import Any

import faust

from streams.events.flow import Topics, internal_config
from streams.events.records import GateInput
from streams.kills.gate import admit
from streams.settings import Settings
from streams.worker.delivery import Delivery


def register(app: faust.App, topics: Topics, settings: Settings, delivery: Delivery) -> None:
    """Add the kills table and the gate agent to `app`."""
    metrics = delivery.metrics
    # Co-partitioned with news.articles.gate (both keyed by article id): one small value per killed article.
    kills: Any = app.Table(
        "gate-kills",
        partitions=settings.partitions,
        default=None,
        options=settings.table_options(),
        extra_topic_configs=internal_config(settings),
    )

    # GateInput ──a clean version no kill stands against──► news.articles.clean
    #          └─a kill──► news.articles.kills, and a tombstone on news.articles.clean
    @app.agent(topics.gate, name="gate")
    async def gate_agent(stream: faust.StreamT[GateInput]) -> None:
        async for event in stream.events():
            try:
                with metrics.timed("gate"):
                    outputs = admit(kills, event.value)
            except Exception as exc:
                await delivery.refuse("gate", exc, event)
                continue
            if await delivery.send_all("gate", outputs, event):
                outcome = "kill" if event.value.kill else ("ok" if outputs else "suppressed")
                metrics.messages.labels("gate", outcome).inc()
