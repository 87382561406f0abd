"""Syndication through the broker: a near-copy from a source on another partition names its original,
with 4 partitions and two workers, and `newsstreams process` on the same input agrees.

What is a copy is known from how the bodies are built (the copy is the original with a few words edited;
the unrelated story shares only stock sentences), never from the code under test.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from aiokafka.partitioner import murmur2

from streams.events import flow
from streams.settings import Settings
from streams.tools.record_count import end_offsets
from tests.integration.conftest import ROOT, Broker
from tests.integration.kafka_io import consume_until, produce, values
from tests.reliability.conftest import worker_on
from tests.unit.test_syndication import edited, story

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]
PARTITIONS = 4


def by_source_partition(source: str) -> int:
    """Where Kafka's default partitioner (Faust's too) puts a key: murmur2, positive, mod the count."""
    return (murmur2(source.encode()) & 0x7FFFFFFF) % PARTITIONS


def sources_on_three_partitions() -> list[str]:
    found: dict[int, str] = {}
    for n in range(100):
        found.setdefault(by_source_partition(f"paper-{n}.example"), f"paper-{n}.example")
        if len(found) == 3:
            break
    return list(found.values())


def raw(article_id: str, source: str, paragraphs: list[str]) -> bytes:
    return orjson.dumps(
        {
            "id": article_id,
            "source": source,
            "content_type": "text/plain",
            "headline": f"Council plans, story {article_id}",
            "published_at": "2026-03-03T12:00:00Z",
            "body": "\n\n".join(paragraphs),
        }
    )


async def test_a_copy_from_a_source_on_another_partition_names_its_original_and_process_agrees(
    kafka: Broker, worker_env: dict[str, str], namespace: str, tmp_path: Path
) -> None:
    env = {**worker_env, "NEWSSTREAMS_PARTITIONS": str(PARTITIONS)}
    wire, partner, other = sources_on_three_partitions()
    assert len({by_source_partition(s) for s in (wire, partner, other)}) == 3
    original = story(101, paragraphs=8)
    messages = [
        (b"wire-1", raw("wire-1", wire, original)),
        (b"partner-9", raw("partner-9", partner, edited(original))),
        (b"other-3", raw("other-3", other, story(102, paragraphs=8))),
    ]
    workers = [
        worker_on(env, tmp_path / f"worker-{n}.log", NEWSSTREAMS_DATA_DIR=str(tmp_path / f"data-{n}"))
        for n in range(2)
    ]
    try:
        await asyncio.gather(*(asyncio.to_thread(w.start) for w in workers))
        raw_topic, clean_topic = f"{namespace}news.articles.raw", f"{namespace}news.articles.clean"
        # The original first, and published, so it is seen before the copy in the worker as in the file.
        await produce(kafka.bootstrap, raw_topic, messages[:1])
        await consume_until(kafka.bootstrap, [clean_topic], lambda r: bool(values(r, clean_topic)), 120)
        await produce(kafka.bootstrap, raw_topic, messages[1:])
        records = await consume_until(
            kafka.bootstrap, [clean_topic], lambda r: len(values(r, clean_topic)) >= 3, 120
        )
        assert all(w.proc is not None and w.proc.poll() is None for w in workers)
    finally:
        for w in workers:
            w.stop()
    live = {v["article_id"]: v["duplicate_of"] for v in values(records, clean_topic)}
    assert live == {"wire-1": None, "partner-9": "wire-1", "other-3": None}

    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(b"".join(value + b"\n" for _, value in messages))
    out = tmp_path / "process"
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "streams.tools.cli", "process", str(feed), "--out", str(out)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    processed = [
        orjson.loads(line)
        for line in (out / f"{namespace}news.articles.clean.jsonl").read_bytes().splitlines()
    ]
    assert {a["article_id"]: a["duplicate_of"] for a in processed} == live


async def test_the_syndication_changelog_holds_a_segment_per_batch_not_a_record_per_hop(
    kafka: Broker, worker_env: dict[str, str], namespace: str, tmp_path: Path
) -> None:
    # Batches held up to 0.5 s (the default is shorter, for latency): the count does not hang on the pace.
    env = {**worker_env, "NEWSSTREAMS_PARTITIONS": str(PARTITIONS), "NEWSSTREAMS_SYNDICATION_FLUSH": "0.5"}
    sources = sources_on_three_partitions()
    articles = 40
    messages = [
        (
            f"a-{n}".encode(),
            raw(
                f"a-{n}",
                sources[n % 3],
                story(300 + n // 4) if n % 4 == 0 else edited(story(300 + n // 4), 1),
            ),
        )
        for n in range(articles)
    ]
    worker = worker_on(env, tmp_path / "worker.log")
    try:
        await asyncio.to_thread(worker.start)
        raw_topic, clean_topic = f"{namespace}news.articles.raw", f"{namespace}news.articles.clean"
        # The originals first, and published, so each is seen and registered before its copies.
        originals = [m for n, m in enumerate(messages) if n % 4 == 0]
        await produce(kafka.bootstrap, raw_topic, originals)
        await consume_until(kafka.bootstrap, [clean_topic], lambda r: len(values(r, clean_topic)) >= 10, 180)
        await produce(kafka.bootstrap, raw_topic, [m for n, m in enumerate(messages) if n % 4])
        records = await consume_until(
            kafka.bootstrap, [clean_topic], lambda r: len(values(r, clean_topic)) >= articles, 180
        )
        settings = Settings.from_env(env)
        ends = await end_offsets(settings)
    finally:
        worker.stop()
    # Each of the 10 stories: its original and three copies of it (one word edited: each close to it).
    duplicates = {v["article_id"]: v["duplicate_of"] for v in values(records, clean_topic)}
    assert duplicates == {f"a-{n}": None if n % 4 == 0 else f"a-{n - n % 4}" for n in range(articles)}
    # Every hop record is one article's visit of one partition: what a table of one entry per article and
    # partition would have written to its changelog.
    visits = ends[settings.topic(flow.SYNDICATION.name)]
    changelog = next(n for t, n in ends.items() if t.endswith("-syndication-changelog"))
    assert visits >= articles
    print(f"syndication hops {visits}, changelog records {changelog}")
    assert changelog * 3 <= visits, (changelog, visits)
