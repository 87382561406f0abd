"""The broker stopped for 20 seconds in the middle of a stream: the worker recovers without help."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.articles import good_messages
from tests.reliability.checker import Reader, check_complete, send_all
from tests.reliability.conftest import report, worker_on_own_broker

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.asyncio]

ARTICLES = 1_000
OUTAGE_S = 20


async def test_worker_recovers_after_the_broker_is_down_for_20_seconds(
    own_broker: Any, namespace: str, worker_env: dict[str, str], tmp_path: Path
) -> None:
    # A broker of this test's own: the shared one must not go down under other tests.
    broker, worker = await worker_on_own_broker(own_broker, worker_env, tmp_path)
    messages = good_messages("outage", ARTICLES)
    good = {k.decode() for k, _ in messages}
    try:
        await send_all(broker.bootstrap, f"{namespace}news.articles.raw", messages)
        async with Reader(broker.bootstrap, namespace) as reader:
            assert await reader.until(
                lambda o: len(o.articles("news.articles.enriched")) >= ARTICLES // 4, timeout=300
            )
            done_before = len(reader.outputs.articles("news.articles.enriched"))
        await asyncio.to_thread(broker.stop)
        await asyncio.sleep(OUTAGE_S)
        assert worker.proc is not None and worker.proc.poll() is None, (
            "the worker exited while the broker was down"
        )
        broker_start_s = await asyncio.to_thread(broker.start)
        back_at = time.monotonic()
        async with Reader(broker.bootstrap, namespace) as reader:
            complete = await reader.until(lambda o: o.complete(good), timeout=420)
            recovered_after = time.monotonic() - back_at
            await reader.drain()
        assert worker.proc.poll() is None, "the worker exited"
    finally:
        worker.stop()
    out = reader.outputs
    assert complete, f"{len(good - out.articles('news.articles.enriched'))} articles never enriched"
    figures = check_complete(out, good)
    report(
        "broker_outage",
        articles_sent=ARTICLES,
        outage_s=OUTAGE_S,
        enriched_before_outage=done_before,
        broker_restart_s=round(broker_start_s, 1),
        outputs=figures.outputs,
        records=figures.records,
        duplicates=figures.duplicates,
        dead_letters=figures.dead_letters,
        broker_back_to_complete_s=round(recovered_after, 1),
    )
