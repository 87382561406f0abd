"""Two workers in one consumer group; one is SIGKILLed and the other takes over its partitions."""

from __future__ import annotations

import asyncio
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from tests.integration.conftest import Broker
from tests.integration.kafka_io import consume_until, values
from tests.kafka_fixtures import Worker
from tests.reliability.articles import good_messages
from tests.reliability.checker import Reader, reported_figures, send_all
from tests.reliability.conftest import report, worker_on

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.asyncio]

ARTICLES = 1_000


def handled(port: str) -> float:
    """Messages a worker's intake and clean stages handled, from its /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("newsstreams_messages_total{") and 'stage="enrich"' not in line
    )


async def test_the_surviving_worker_takes_over_a_killed_workers_partitions(
    kafka: Broker, namespace: str, worker_env: dict[str, str], tmp_path: Path
) -> None:
    # Same app id (consumer group), each with its own web port and data dir, as on two machines.
    workers = [
        worker_on(worker_env, tmp_path / f"worker-{n}.log", NEWSSTREAMS_DATA_DIR=str(tmp_path / f"data-{n}"))
        for n in range(2)
    ]
    for w in workers:
        await asyncio.to_thread(w.start)
    survivor, victim = workers
    messages = good_messages("group", ARTICLES)
    good = {k.decode() for k, _ in messages}
    try:
        async with Reader(kafka.bootstrap, namespace) as reader:
            await send_all(kafka.bootstrap, f"{namespace}news.articles.raw", messages)
            assert await reader.until(
                lambda o: len(o.articles("news.articles.enriched")) >= ARTICLES // 4, timeout=300
            )
            # Both members really share the work: the victim has handled part of the stream itself.
            victim_handled = await asyncio.to_thread(handled, victim.env["NEWSSTREAMS_WEB_PORT"])
            survivor_handled = await asyncio.to_thread(handled, survivor.env["NEWSSTREAMS_WEB_PORT"])
            assert victim_handled > 0 and survivor_handled > 0
            done_before_kill = len(reader.outputs.articles("news.articles.enriched"))
            assert victim.proc is not None
            victim.proc.send_signal(signal.SIGKILL)
            victim.proc.wait(10)
            killed_at = time.monotonic()
            complete = await reader.until(lambda o: o.complete(good), timeout=420)
            recovered_after = time.monotonic() - killed_at
            await reader.drain()
        assert survivor.proc is not None and survivor.proc.poll() is None
    finally:
        for w in workers:
            w.stop()
    report(
        "group_takeover",
        articles_sent=ARTICLES,
        enriched_before_kill=done_before_kill,
        victim_messages_before_kill=victim_handled,
        survivor_messages_before_kill=survivor_handled,
        **reported_figures(reader.outputs, good, complete),
        kill_to_complete_s=round(recovered_after, 1),
    )


JOINING_ARTICLES = 1_500


async def test_workers_joining_and_leaving_during_a_backlog_lose_nothing(
    kafka: Broker, namespace: str, worker_env: dict[str, str], tmp_path: Path
) -> None:
    """The way lag-based autoscaling adds and removes workers: each while a backlog is being drained.

    A member joining mid-backlog once lost articles: partitions with nothing committed yet were not
    sought back after the rebalance, and their dropped records were committed over (streams/worker/rebalance.py).
    """
    messages = good_messages("joining", JOINING_ARTICLES)
    good = {k.decode() for k, _ in messages}
    await send_all(kafka.bootstrap, f"{namespace}news.articles.raw", messages)

    def member(name: str) -> Worker:
        return worker_on(worker_env, tmp_path / f"{name}.log", NEWSSTREAMS_DATA_DIR=str(tmp_path / name))

    first, second, third = member("first"), member("second"), member("third")
    enriched_at: dict[str, int] = {}
    try:
        async with Reader(kafka.bootstrap, namespace) as reader:

            def enriched() -> int:
                return len(reader.outputs.articles("news.articles.enriched"))

            # The backlog is all there before anyone reads it: the first member starts on it alone ...
            await asyncio.to_thread(first.start)
            # ... and a second joins while the first is partway through every stage.
            await asyncio.to_thread(second.start)
            await reader.until(lambda o: False, timeout=1)  # what has come out so far
            enriched_at["second_joined"] = enriched()
            assert enriched_at["second_joined"] < JOINING_ARTICLES // 2, (
                "the backlog was gone before the join"
            )
            assert await reader.until(lambda o: enriched() >= JOINING_ARTICLES // 2, timeout=300)
            # One leaves (a scale-down) and a third joins, both mid-backlog.
            enriched_at["second_left"] = enriched()
            await asyncio.to_thread(second.stop)
            enriched_at["third_joined"] = enriched()
            await asyncio.to_thread(third.start)
            await reader.until(lambda o: False, timeout=1)
            enriched_at["third_ready"] = enriched()
            assert enriched_at["third_ready"] < JOINING_ARTICLES, (
                "the backlog was gone before the third joined"
            )
            complete = await reader.until(lambda o: o.complete(good), timeout=420)
            await reader.drain()
            # Trending reads news.topics back, re-keyed by code: every topic event must get there. (Records
            # a rebalance dropped on that input were once lost for good while each article's own outputs
            # were complete: streams/worker/rebalance.py, guard 7.)
            topic_events = {
                v["event_id"]
                for values_ in reader.outputs.by_article["news.topics"].values()
                for v in values_
            }
            regrouped = f"{namespace}newsstreams-trending-topics-by-code-repartition"

            def regrouped_ids(records: list) -> set[str]:
                return {v["event_id"] for v in values(records, regrouped)}

            records = await consume_until(
                kafka.bootstrap, [regrouped], lambda r: topic_events <= regrouped_ids(r), timeout=120
            )
        assert all(w.proc is not None and w.proc.poll() is None for w in (first, third))
    finally:
        for w in (first, second, third):
            w.stop()
    missing = topic_events - regrouped_ids(records)
    assert topic_events and not missing, f"{len(missing)} of {len(topic_events)} topic events never regrouped"
    report(
        "group_joining_during_backlog",
        articles_sent=JOINING_ARTICLES,
        enriched_when=enriched_at,
        **reported_figures(reader.outputs, good, complete),
    )
