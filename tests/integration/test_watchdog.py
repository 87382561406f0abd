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

from tests.integration.conftest import Broker, Worker
from tests.integration.kafka_io import consume_until, produce, values
from tests.reliability.articles import article

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]
LIMIT = 8.0


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
        stalled_at = None
        deadline = time.monotonic() + LIMIT + 30
        while time.monotonic() < deadline:
            status, body = await asyncio.to_thread(_live, port)
            if status == 503:
                stalled_at = time.monotonic()
                break
            await asyncio.sleep(0.5)
        assert stalled_at is not None, "liveness never failed"
        assert body["live"] is False and body["dead_agents"] == []
        assert body["stalled"].startswith("no progress for ") and "message(s) of lag" in body["stalled"]
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
    # Every one-article batch takes 4.5 s more: six articles keep lag for about 27 s, over three times
    # the limit, but each batch ends within it.
    worker = _worker(worker_env, tmp_path, NEWSSTREAMS_FAULT_SLOW_BATCH="4.5")
    port = worker.env["NEWSSTREAMS_WEB_PORT"]
    try:
        ids = await _send(kafka, namespace, 6)
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
                kafka.bootstrap, [enriched], lambda r: len(values(r, enriched)) >= len(ids), timeout=120
            )
        finally:
            watcher.cancel()
        assert {v["article_id"] for v in values(got, enriched)} >= set(ids)
        assert time.monotonic() - started > 3 * LIMIT  # lag lasted well over the limit
        assert len(statuses) > 20 and set(statuses) == {200}
    finally:
        worker.stop()
