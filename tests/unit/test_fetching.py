"""The worker's consumer fetches as the settings say (Faust itself always asks for 1 byte)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from streams.settings import Settings
from streams.worker.app import create_app
from streams.worker.fetching import FetchSettingsGone, apply


async def worker_consumer(app: Any) -> Any:
    """The aiokafka consumer the app's consumer thread would start, made and closed again (with the
    thread's own event loop, which mode makes for it)."""
    thread = app.consumer._thread
    consumer = thread._create_worker_consumer(app.transport)
    settings = (consumer._fetch_min_bytes, consumer._fetch_max_wait_ms)
    await consumer.stop()
    thread.thread_loop.close()
    return settings


@pytest.mark.asyncio
async def test_the_worker_consumer_fetches_what_the_settings_say(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=str(tmp_path), fetch_min_bytes=12345, fetch_max_wait=0.03))
    # What aiokafka's fetcher is built from at start (aiokafka/consumer/consumer.py, start()).
    assert await worker_consumer(app) == (12345, 30)


@pytest.mark.asyncio
async def test_each_app_keeps_its_own_fetch_settings(tmp_path: Path) -> None:
    first = create_app(Settings(data_dir=str(tmp_path / "a"), fetch_min_bytes=7, fetch_max_wait=0.04))
    create_app(Settings(data_dir=str(tmp_path / "b"), fetch_min_bytes=99, fetch_max_wait=0.01))
    assert await worker_consumer(first) == (7, 40)


@pytest.mark.asyncio
async def test_a_consumer_without_the_fields_stops_the_worker_with_the_reason() -> None:
    class Other:
        pass

    with pytest.raises(FetchSettingsGone, match="_fetch_min_bytes"):
        apply(Other(), 1, 1)
    # aiokafka's own consumer has them (the installed version is the one the patch was written for).
    consumer = AIOKafkaConsumer()
    apply(consumer, 1, 1)
    await consumer.stop()
