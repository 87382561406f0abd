"""The worker's logging: debug records of faust and aiokafka are not built at a service's log level."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import faust
import pytest
from faust.worker import Worker

from streams.worker.app import ServiceWorker


@pytest.fixture
def restored_root() -> Iterator[None]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.mark.parametrize("level", ["warning", "error"])
def test_at_warning_and_above_library_debug_calls_stay_off(level: str, restored_root: None) -> None:
    app = faust.App("logging-test", broker="memory://")
    ServiceWorker(app, loglevel=level, quiet=True, redirect_stdouts=False)._setup_logging()

    assert not logging.getLogger("aiokafka.producer.producer").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("faust.topics").isEnabledFor(logging.DEBUG)
    assert logging.getLogger().getEffectiveLevel() == getattr(logging, level.upper())


def test_faust_s_own_worker_turns_them_on(restored_root: None) -> None:
    # What ServiceWorker is for: Faust's spinner sets the root logger to DEBUG at these levels.
    app = faust.App("logging-test-faust", broker="memory://")
    Worker(app, loglevel="warning", quiet=True, redirect_stdouts=False)._setup_logging()

    assert logging.getLogger("aiokafka.producer.producer").isEnabledFor(logging.DEBUG)
