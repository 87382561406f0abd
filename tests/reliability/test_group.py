"""Two workers in one consumer group; one is SIGKILLed and the other takes over its partitions."""

from __future__ import annotations

import asyncio
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from tests.integration.conftest import Broker
from tests.reliability.articles import good_messages
from tests.reliability.checker import Reader, check_complete, send_all
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
    out = reader.outputs
    assert complete, f"{len(good - out.articles('news.articles.enriched'))} articles never enriched"
    figures = check_complete(out, good)
    report(
        "group_takeover",
        articles_sent=ARTICLES,
        enriched_before_kill=done_before_kill,
        victim_messages_before_kill=victim_handled,
        survivor_messages_before_kill=survivor_handled,
        outputs=figures.outputs,
        records=figures.records,
        duplicates=figures.duplicates,
        dead_letters=figures.dead_letters,
        kill_to_complete_s=round(recovered_after, 1),
    )
