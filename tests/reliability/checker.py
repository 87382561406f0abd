"""Reading every output topic of one namespace and checking nothing was lost and duplicates agree.

`Outputs` consumes the pipeline's output topics (read_committed, so an exactly-once run is judged on
committed transactions only) and indexes what arrived as it arrives; `check_complete` asserts that
every good raw article has its clean, enriched, entity, quote and topic events, that no good article
was dead-lettered, and that a logical event seen twice (at-least-once redelivery) carries the same
`ce_id` both times, so consumers can de-duplicate.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

# What every good article must have; with the dead letters, every output topic read.
PER_ARTICLE = (
    "news.articles.clean",
    "news.articles.enriched",
    "news.entities",
    "news.quotes",
    "news.topics",
)
OUTPUTS = (*PER_ARTICLE, "news.deadletter")


def _identity(topic: str, value: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two records the same logical event, whatever their ids say."""
    if topic == "news.articles.clean" or topic == "news.articles.enriched":
        return (value["article_id"], value["version"])
    if topic == "news.entities":
        return (value["article_id"], value["entity_id"])
    if topic == "news.quotes":
        return (value["article_id"], value["section"], value["paragraph"], value["start"])
    if topic == "news.topics":
        return (value["article_id"], value["topic"])
    return (value["original_key"], value["stage"], value["reason"])


@dataclass
class Outputs:
    """What one namespace's output topics hold so far, indexed by design topic name."""

    namespace: str
    records: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # (design topic, logical identity) → the ce_ids seen for it
    ce_ids: dict[tuple[str, tuple[Any, ...]], set[str]] = field(default_factory=lambda: defaultdict(set))
    header_mismatches: list[str] = field(default_factory=list)
    # design topic → article id → values (dead letters: by original key)
    by_article: dict[str, dict[str, list[dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )

    def add(self, full_topic: str, headers: Iterable[tuple[str, bytes]], raw: bytes) -> None:
        topic = full_topic.removeprefix(self.namespace)
        value = orjson.loads(raw)
        ce_id = dict(headers).get("ce_id", b"").decode()
        if ce_id != value.get("event_id"):
            self.header_mismatches.append(f"{topic}: ce_id {ce_id!r} != event_id {value.get('event_id')!r}")
        self.records[topic] += 1
        self.ce_ids[(topic, _identity(topic, value))].add(ce_id)
        owner = value["original_key"] if topic == "news.deadletter" else value["article_id"]
        self.by_article[topic][owner].append(value)

    def articles(self, topic: str) -> set[str]:
        return set(self.by_article[topic])

    def dead_letters(self) -> list[dict[str, Any]]:
        return [v for vs in self.by_article["news.deadletter"].values() for v in vs]

    def complete(self, good: set[str], dead: int = 0) -> bool:
        """Every good article has each kind of output, all the topic, quote and entity events its
        enriched article lists (they are separate sends, so they can arrive after it), and at least
        `dead` distinct dead letters."""
        return (
            all(good <= self.by_article[k].keys() for k in PER_ARTICLE)
            and all(not self.unmatched(article_id) for article_id in good)
            and len(self.by_article["news.deadletter"]) >= dead
        )

    def unmatched(self, article_id: str) -> list[str]:
        """How the article's latest enriched event disagrees with the events fanned out for it
        (counted by distinct ce_id); empty when they agree."""
        # .get: reading must not add the article to a topic's index (a defaultdict)
        versions = self.by_article["news.articles.enriched"].get(article_id)
        if not versions:
            return ["no enriched article"]
        enriched = versions[-1]
        topics = {v["event_id"] for v in self.by_article["news.topics"].get(article_id, [])}
        quotes = {v["event_id"] for v in self.by_article["news.quotes"].get(article_id, [])}
        entity_ids = {v["entity_id"] for v in self.by_article["news.entities"].get(article_id, [])}
        listed = {e["literal"] for group in ("people", "organisations", "places") for e in enriched[group]}
        problems = []
        if len(topics) != len(enriched["subjects"]):
            problems.append(f"{len(topics)} topic events for {len(enriched['subjects'])} subjects")
        if len(quotes) != len(enriched["quotes"]):
            problems.append(f"{len(quotes)} quote events for {len(enriched['quotes'])} quotes")
        if listed - entity_ids:
            problems.append(f"no entity events for {sorted(listed - entity_ids)}")
        return problems


class Reader:
    """A consumer of the namespace's output topics that feeds an `Outputs` until a condition holds."""

    def __init__(self, bootstrap: str, namespace: str, **client: Any) -> None:
        self.outputs = Outputs(namespace)
        self._consumer = AIOKafkaConsumer(
            *(namespace + t for t in OUTPUTS),
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            isolation_level="read_committed",
            # Dead letters of oversized input carry up to the worker's message limit.
            max_partition_fetch_bytes=64 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
            metadata_max_age_ms=2000,
            **client,
        )

    async def __aenter__(self) -> Reader:
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def until(self, done: Callable[[Outputs], bool], timeout: float) -> bool:
        """Read until `done(outputs)` or `timeout` seconds; whether it got there."""
        deadline = time.monotonic() + timeout
        while not done(self.outputs):
            if time.monotonic() >= deadline:
                return False
            batch = await self._consumer.getmany(timeout_ms=500, max_records=5000)
            for part in batch.values():
                for r in part:
                    if r.value is not None:
                        self.outputs.add(r.topic, r.headers, r.value)
        return True

    async def drain(self, quiet: float = 3.0) -> None:
        """Keep reading until nothing new arrives for `quiet` seconds (late duplicates included)."""
        last = time.monotonic()
        while time.monotonic() - last < quiet:
            batch = await self._consumer.getmany(timeout_ms=500)
            for part in batch.values():
                for r in part:
                    if r.value is not None:
                        self.outputs.add(r.topic, r.headers, r.value)
                        last = time.monotonic()


@dataclass(frozen=True)
class Figures:
    outputs: int  # good articles with an enriched article
    records: int  # records read on every output topic
    duplicates: int  # records beyond the first of their logical event
    duplicates_by_topic: dict[str, int]  # the same, per output topic that has any
    dead_letters: int  # distinct dead-lettered keys


def check_complete(out: Outputs, good: set[str], *, dead: Iterable[str] = ()) -> Figures:
    """Assert nothing was lost and duplicates share their ce_id; the figures to report."""
    missing = {
        topic: sorted(good - out.articles(topic))[:5] for topic in PER_ARTICLE if good - out.articles(topic)
    }
    assert not missing, f"good articles without outputs (first 5 per topic): {missing}"
    wrongly_dead = good & out.articles("news.deadletter")
    assert not wrongly_dead, f"good articles dead-lettered: {sorted(wrongly_dead)[:5]}"
    assert out.articles("news.deadletter") == set(dead), (
        f"dead letters for {sorted(out.articles('news.deadletter') - set(dead))[:5]}, "
        f"none for {sorted(set(dead) - out.articles('news.deadletter'))[:5]}"
    )
    assert not out.header_mismatches, out.header_mismatches[:5]
    split = {k: ids for k, ids in out.ce_ids.items() if len(ids) > 1}
    assert not split, f"one logical event under several ce_ids: {list(split.items())[:3]}"
    # Each enriched article's own lists agree with the events fanned out for it (by distinct ce_id).
    disagree = {article_id: out.unmatched(article_id) for article_id in sorted(good)}
    disagree = {article_id: problems for article_id, problems in disagree.items() if problems}
    assert not disagree, f"enriched articles and their events disagree: {list(disagree.items())[:5]}"
    total = sum(out.records.values())
    distinct = Counter(topic for topic, _ in out.ce_ids)
    return Figures(
        outputs=len(good & out.articles("news.articles.enriched")),
        records=total,
        duplicates=total - len(out.ce_ids),
        duplicates_by_topic={
            topic: n - distinct[topic] for topic, n in sorted(out.records.items()) if n > distinct[topic]
        },
        dead_letters=len(out.articles("news.deadletter")),
    )


async def send_all(
    bootstrap: str,
    topic: str,
    messages: Iterable[tuple[bytes | None, bytes]],
    *,
    rate: float | None = None,
    **client: Any,
) -> None:
    """Publish `messages` (acks=all), all at once or at `rate` messages a second."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        max_request_size=64 * 1024 * 1024,
        linger_ms=5,
        **client,
    )
    try:
        # Inside the try: a producer whose start failed (say, on authentication) must still be closed.
        await producer.start()
        started = time.monotonic()
        pending = []
        for n, (key, value) in enumerate(messages):
            if rate:
                delay = started + n / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            pending.append(await producer.send(topic, value=value, key=key))
            if len(pending) >= 500:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def reported_figures(out: Outputs, good: set[str], complete: bool) -> dict[str, Any]:
    """After a run that had to end with every good article out: check it, and the figures to report."""
    assert complete, f"{len(good - out.articles('news.articles.enriched'))} articles never enriched"
    return asdict(check_complete(out, good))
