"""Kafka records per article by kind, from the end offsets of every topic of one run's prefix."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka.structs import TopicPartition

from streams.events import flow
from streams.kafka.clients import admin, consumer
from streams.settings import Settings

# The contract's outputs (issue 19's figure counts every other record against them).
CONTRACT = (flow.ENRICHED, flow.ENTITIES, flow.QUOTES, flow.TOPICS, flow.PEOPLE_LEARNED, flow.KILLS)
# Between stages: the by-source hop, the syndication hops and the clean topic the enrich stage reads.
HOPS = (flow.RAW_BY_SOURCE, flow.SYNDICATION, flow.GATE, flow.CLEAN)


def kind_of(topic: str, settings: Settings) -> str:
    """contract | hop | repartition | trending | changelog | input | dead_letter | other."""
    by_name = {settings.topic(s.name): s for s in flow.FLOW}
    spec = by_name.get(topic)
    if spec in CONTRACT:
        return "contract"
    if spec in HOPS:
        return "hop"
    if spec is flow.TRENDING:
        return "trending"
    if spec is flow.RAW:
        return "input"
    if spec is flow.DEADLETTER:
        return "dead_letter"
    if topic.endswith("-changelog"):
        return "changelog"
    if topic.endswith("-repartition"):
        return "repartition"
    return "other"


async def end_offsets(settings: Settings) -> dict[str, int]:
    """Sum of end offsets (records written, compacted or not) of every topic under the run's prefix."""
    client = admin(settings)
    await client.start()
    reader = consumer(settings, enable_auto_commit=False)
    await reader.start()
    try:
        names = [t for t in await client.list_topics() if t.startswith(settings.topic_prefix)]
        described = await client.describe_topics(names) if names else []
        tps = [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]
        ends = await reader.end_offsets(tps) if tps else {}
    finally:
        await reader.stop()
        await client.close()
    totals: dict[str, int] = {}
    for tp, end in ends.items():
        totals[tp.topic] = totals.get(tp.topic, 0) + end
    return totals


def per_article(totals: dict[str, int], settings: Settings, articles: int) -> dict[str, Any]:
    """Records per article by kind, by topic, and the figure issue 19 sets: all but the contract's outputs."""
    kinds: dict[str, int] = {}
    for topic, n in totals.items():
        kind = kind_of(topic, settings)
        kinds[kind] = kinds.get(kind, 0) + n
    written = {k: v for k, v in kinds.items() if k != "input"}
    return {
        "articles": articles,
        "per_article_by_kind": {k: round(v / articles, 2) for k, v in sorted(written.items())},
        "per_article_by_topic": {
            t.removeprefix(settings.topic_prefix): round(n / articles, 2) for t, n in sorted(totals.items())
        },
        "other_than_contract_per_article": round(
            sum(v for k, v in written.items() if k not in ("contract", "dead_letter")) / articles, 2
        ),
    }


def count_when_settled(
    settings: Settings, articles: int, quiet: float = 5.0, timeout: float = 120.0
) -> dict[str, Any]:
    """Wait until no topic grows for `quiet` seconds (trending flushes and changelogs trail the enriched
    articles), then count."""
    deadline = time.monotonic() + timeout
    last = asyncio.run(end_offsets(settings))
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = asyncio.run(end_offsets(settings))
        if now == last:
            break
        last = now
    return per_article(last, settings, articles)
