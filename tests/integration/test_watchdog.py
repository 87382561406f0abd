"""The progress watchdog in a real worker: liveness fails when consumption stops while lag exists (a fault
hook stops the enrich agent), and stays green through batches slow enough to leave lag for a while."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from pathlib import Path

import orjson
import pytest

from streams.worker.watchdog import check_interval
from tests.integration.conftest import Broker, Worker
from tests.integration.kafka_io import consume_until, produce, values
from tests.reliability.articles import article

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]
# A margin, not timing luck: 4.5 s batches are under a third of the limit.
LIMIT = 15.0
SLOW_BATCH = 4.5
# The last move a stalled worker shows comes after the last enriched article the test reads: its offsets
# committed up to 2.8 s later (Faust's commit interval), seen by a look that spends 1 to 3 s on broker
# round trips before its verdict, plus the test's own read latency. Measured: 503 at 22.6 to 25.2 s, that
# is 4 to 6.5 s past limit + check interval (three runs on the shared 2-core machine).
SETTLE = 12.0


def _live(port: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=10) as response:
            return int(response.status), orjson.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read())


async def _send(kafka: Broker, namespace: str, count: int) -> list[str]:
    ids = [f"wd-{n}" for n in range(count)]
    messages = [(i.encode(), orjson.dumps(article(i, n))) for n, i in enumerate(ids)]
    await produce(kafka.bootstrap, f"{namespace}news.articles.raw", messages)
    return ids


def _worker(env: dict[str, str], tmp_path: Path, **faults: str) -> Worker:
    env = {**env, "NEWSSTREAMS_STALL_SECONDS": str(LIMIT), "NEWSSTREAMS_BATCH_SIZE": "1", **faults}
    return Worker(env=env, log=tmp_path / "worker.log").start()


async def test_a_worker_that_stops_consuming_while_lag_exists_fails_liveness(
    kafka: Broker, namespace: str, worker_env: dict[str, str], tmp_path: Path
) -> None:
    worker = _worker(worker_env, tmp_path, NEWSSTREAMS_FAULT_STALL_AFTER="1")
    port = worker.env["NEWSSTREAMS_WEB_PORT"]
    try:
        assert (await asyncio.to_thread(_live, port))[0] == 200
        await _send(kafka, namespace, 5)
        # The first article is enriched, then the enrich agent stops: four wait on news.articles.clean.
        enriched = f"{namespace}news.articles.enriched"
        got = await consume_until(kafka.bootstrap, [enriched], lambda r: len(values(r, enriched)) >= 1)
        assert len(values(got, enriched)) == 1
        seen = time.monotonic()
        # Stalled once the limit has passed since the last move, seen at the next look: 503 by then.
        deadline = seen + LIMIT + check_interval(LIMIT) + SETTLE
        statuses: list[int] = []
        while time.monotonic() < deadline:
            status, body = await asyncio.to_thread(_live, port)
            statuses.append(status)
            if status == 503:
                break
            await asyncio.sleep(0.5)
        took = time.monotonic() - seen
        print(f"liveness 503 {took:.1f} s after the last enriched article (limit {LIMIT:.0f} s)")
        assert statuses[-1] == 503, f"liveness still 200 {took:.1f} s after the last article was enriched"
        assert body["live"] is False and body["dead_agents"] == []
        [reason] = body["reasons"]
        assert reason.startswith("no progress for ") and "message(s) of lag" in reason
        assert worker.proc is not None and worker.proc.poll() is None  # failing liveness, not dying
        # The worker says why in its log, at its next look.
        for _ in range(20):
            if "liveness now fails" in worker.log.read_text():
                break
            await asyncio.sleep(0.5)
        assert "liveness now fails" in worker.log.read_text()
    finally:
        worker.stop()


async def test_slow_batches_that_leave_lag_keep_the_worker_live(
    kafka: Broker, namespace: str, worker_env: dict[str, str], tmp_path: Path
) -> None:
    # Every one-article batch takes 4.5 s more: twelve articles keep lag for 54 s and more, over three
    # times the limit, but each batch ends well within it.
    worker = _worker(worker_env, tmp_path, NEWSSTREAMS_FAULT_SLOW_BATCH=str(SLOW_BATCH))
    port = worker.env["NEWSSTREAMS_WEB_PORT"]
    try:
        ids = await _send(kafka, namespace, 12)
        enriched = f"{namespace}news.articles.enriched"
        statuses: list[int] = []

        async def watch() -> None:
            while True:
                statuses.append((await asyncio.to_thread(_live, port))[0])
                await asyncio.sleep(0.5)

        watcher = asyncio.create_task(watch())
        started = time.monotonic()
        try:
            got = await consume_until(
                kafka.bootstrap, [enriched], lambda r: len(values(r, enriched)) >= len(ids), timeout=180
            )
        finally:
            watcher.cancel()
        assert {v["article_id"] for v in values(got, enriched)} >= set(ids)
        lasted = time.monotonic() - started
        print(f"{len(ids)} slow batches in {lasted:.1f} s, /health/live answered {len(statuses)} times")
        assert lasted > 3 * LIMIT  # lag lasted well over the limit
        # Polled every 0.5 s plus the request: about one answer a second at the least.
        assert len(statuses) > 3 * LIMIT and set(statuses) == {200}
    finally:
        worker.stop()
