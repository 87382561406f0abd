"""A worker whose broker is gone still stops when told to: by its deadline (`NEWSSTREAMS_STOP_SECONDS`).

Without one, a SIGTERMed worker whose broker had gone kept retrying its last commits and metadata at most
of a core, and did not exit (seen on the bench's teardown and on a CI run stopped by hand); only an
orchestrator's SIGKILL ended it.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.articles import good_messages
from tests.reliability.checker import Reader, send_all
from tests.reliability.conftest import worker_on

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.asyncio]

DEADLINE_S = 10


async def stopped_after_broker_gone(
    own_broker: Any, worker_env: dict[str, str], namespace: str, tmp_path: Path, deadline: int
) -> tuple[int | None, float, str]:
    """A worker that has enriched some articles, its broker stopped, then SIGTERM: its exit status (None if
    it still ran 90 s later), the seconds it took, and its log."""
    broker = own_broker()
    env = {
        **worker_env,
        "NEWSSTREAMS_BROKER": f"kafka://{broker.bootstrap}",
        "NEWSSTREAMS_STOP_SECONDS": str(deadline),
    }
    log = tmp_path / "worker.log"
    worker = worker_on(env, log)
    await asyncio.to_thread(worker.start)
    assert worker.proc is not None
    try:
        await send_all(broker.bootstrap, f"{namespace}news.articles.raw", good_messages("stop", 20))
        async with Reader(broker.bootstrap, namespace) as reader:
            assert await reader.until(lambda o: len(o.articles("news.articles.enriched")) >= 5, timeout=180)
        await asyncio.to_thread(broker.stop)
        await asyncio.sleep(5)  # the worker's clients notice the broker is gone
        assert worker.proc.poll() is None, "the worker exited when its broker went"
        told = time.monotonic()
        worker.proc.send_signal(signal.SIGTERM)
        try:
            status: int | None = await asyncio.to_thread(worker.proc.wait, 90)
        except Exception:
            status = None
        return status, time.monotonic() - told, log.read_text(errors="replace")
    finally:
        worker.stop(signal.SIGKILL, timeout=10)


async def test_a_worker_whose_broker_is_gone_exits_by_its_stop_deadline(
    own_broker: Any, worker_env: dict[str, str], namespace: str, tmp_path: Path
) -> None:
    status, took, log = await stopped_after_broker_gone(
        own_broker, worker_env, namespace, tmp_path, DEADLINE_S
    )
    # The clean stop cannot finish without a broker: the deadline ends the process, and says so.
    assert status == 1, f"exit status {status} after {took:.1f} s"
    assert DEADLINE_S - 1 <= took <= DEADLINE_S + 10
    assert "exiting without a clean stop" in log
