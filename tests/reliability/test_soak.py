"""A soak at a steady rate: nothing lost, the consumer lag back to zero, worker memory flat.

10,000 articles at 12 a second (below one worker's rate on a 2-core machine, so the input is steady and
the lag stays small): about 14 minutes. SOAK_ARTICLES and SOAK_RATE (articles a second) change them.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.conftest import Broker
from tests.reliability.articles import good_messages
from tests.reliability.checker import Outputs, Reader, check_complete, send_all
from tests.reliability.conftest import group_lag, report, tree_rss_bytes, worker_on

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.soak, pytest.mark.asyncio]

SOAK_ARTICLES = int(os.environ.get("SOAK_ARTICLES", "10000"))
SOAK_RATE = float(os.environ.get("SOAK_RATE", "12"))
# Memory is compared from the point where spaCy's vocabulary and the tables' caches have filled.
WARM_UP_SHARE = 0.25
MB = 1024 * 1024


@pytest.mark.timeout(max(600, int(SOAK_ARTICLES / SOAK_RATE * 2) + 300))
async def test_soak_at_a_steady_rate(
    kafka: Broker, namespace: str, worker_env: dict[str, str], tmp_path: Path
) -> None:
    worker = worker_on(worker_env, tmp_path / "worker.log")
    await asyncio.to_thread(worker.start)
    assert worker.proc is not None
    pid = worker.proc.pid
    messages = good_messages("soak", SOAK_ARTICLES)
    good = {k.decode() for k, _ in messages}
    peak = 0
    started = time.monotonic()
    try:
        async with Reader(kafka.bootstrap, namespace) as reader:
            sender = asyncio.create_task(
                send_all(kafka.bootstrap, f"{namespace}news.articles.raw", messages, rate=SOAK_RATE)
            )

            def enriched(count: int) -> Callable[[Outputs], bool]:
                # Checked after every poll of the outputs: memory is sampled as the stream goes.
                def done(o: Outputs) -> bool:
                    nonlocal peak
                    peak = max(peak, tree_rss_bytes(pid))
                    return len(o.articles("news.articles.enriched")) >= count and (
                        count < SOAK_ARTICLES or o.complete(good)
                    )

                return done

            budget = SOAK_ARTICLES / SOAK_RATE + 300
            assert await reader.until(enriched(int(SOAK_ARTICLES * WARM_UP_SHARE)), timeout=budget)
            warm_rss = tree_rss_bytes(pid)
            complete = await reader.until(enriched(SOAK_ARTICLES), timeout=budget)
            await sender
            processed_after = time.monotonic() - started
            end_rss = tree_rss_bytes(pid)
            await reader.drain()
        # Committed offsets catch up within a few commit intervals once the input stops.
        deadline = time.monotonic() + 60
        lag = await group_lag(worker.env)
        while lag and time.monotonic() < deadline:
            await asyncio.sleep(2)
            lag = await group_lag(worker.env)
        assert worker.proc.poll() is None, "the worker died"
    finally:
        worker.stop()
    out = reader.outputs
    assert complete, f"{len(good - out.articles('news.articles.enriched'))} articles never enriched"
    figures = check_complete(out, good)
    growth = (end_rss - warm_rss) / warm_rss
    report(
        "soak",
        articles_sent=SOAK_ARTICLES,
        rate_per_s=SOAK_RATE,
        outputs=figures.outputs,
        records=figures.records,
        duplicates=figures.duplicates,
        dead_letters=figures.dead_letters,
        final_lag=lag,
        rss_warm_mb=round(warm_rss / MB),
        rss_end_mb=round(end_rss / MB),
        rss_peak_mb=round(peak / MB),
        rss_growth_pct=round(100 * growth, 1),
        seconds=round(processed_after, 1),
    )
    assert lag == 0
    assert growth < 0.10, f"the worker tree's RSS grew {100 * growth:.1f}% after warm-up"
