"""A worker SIGKILLed in the middle of a 1,000-article stream and started again loses nothing.

Run by default with processing_guarantee=at_least_once. CRASH_GUARANTEES=at_least_once,exactly_once adds
Faust's exactly_once, which on faust-streaming 0.15.3 stalls after the restart (see the test's report).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from tests.integration.conftest import Broker
from tests.reliability.articles import good_messages
from tests.reliability.checker import Reader, check_complete, send_all
from tests.reliability.conftest import report, worker_on

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.asyncio]

ARTICLES = 1_000
GUARANTEES = os.environ.get("CRASH_GUARANTEES", "at_least_once").split(",")


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_sigkill_mid_stream_then_restart_completes_every_article(
    kafka: Broker, namespace: str, worker_env: dict[str, str], tmp_path: Path, guarantee: str
) -> None:
    env = {**worker_env, "NEWSSTREAMS_PROCESSING_GUARANTEE": guarantee}
    worker = worker_on(env, tmp_path / "worker.log")
    await asyncio.to_thread(worker.start)
    messages = good_messages("crash", ARTICLES)
    good = {k.decode() for k, _ in messages}
    try:
        async with Reader(kafka.bootstrap, namespace) as reader:
            await send_all(kafka.bootstrap, f"{namespace}news.articles.raw", messages)
            # Mid-stream: some articles fully out, most still on their way through the stages.
            started = await reader.until(
                lambda o: len(o.articles("news.articles.enriched")) >= ARTICLES // 4, timeout=300
            )
            assert started, "the worker enriched nothing before the kill"
            done_before_kill = len(reader.outputs.articles("news.articles.enriched"))
            assert worker.proc is not None
            worker.proc.send_signal(signal.SIGKILL)
            worker.proc.wait(10)
            killed_at = time.monotonic()

            # A fresh log, so the restarted worker's output (and any failure to start) reads on its own.
            worker.log = tmp_path / "worker-restarted.log"
            await asyncio.to_thread(worker.start)
            ready_after = time.monotonic() - killed_at
            complete = await reader.until(lambda o: o.complete(good), timeout=420)
            recovered_after = time.monotonic() - killed_at
            await reader.drain()
            out = reader.outputs
        assert complete, f"{len(good - out.articles('news.articles.enriched'))} articles never enriched"
        figures = check_complete(out, good)
    finally:
        worker.stop()
    report(
        f"sigkill_restart[{guarantee}]",
        articles_sent=ARTICLES,
        enriched_before_kill=done_before_kill,
        outputs=figures.outputs,
        records=figures.records,
        duplicates=figures.duplicates,
        dead_letters=figures.dead_letters,
        restart_ready_s=round(ready_after, 1),
        kill_to_complete_s=round(recovered_after, 1),
    )
    if guarantee == "exactly_once":
        # Committed transactions only (read_committed): a redelivered input's outputs were aborted.
        assert figures.duplicates == 0
