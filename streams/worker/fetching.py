"""Fetches that wait for a little data: the worker's consumer asks the broker for at least
`fetch_min_bytes`, waiting at most `fetch_max_wait` seconds for them.

Faust creates the worker's aiokafka consumer with `fetch_min_bytes=1` and no setting to change it, so under
load each fetch brought back the few records that had arrived since the last one: a stream of small fetch
requests, each costing the broker and the worker's consumer thread a round trip. Waiting up to 20 ms for
64 KB lets one fetch carry what several did (`README.md`, Scaling); under a light load each hop waits at most
`fetch_max_wait` longer. (Fetches this short met two races of Faust's rebalances far more often than its
own 1.5 s: a takeover's at the end of recovery nearly every time, and a fetch that waits out a rebalance
while members join and leave: streams/worker/rebalance.py, guards 6 and 7.)
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

from streams.settings import Settings
from streams.worker.rebalance import _guard

CONF_KEY = "newsstreams_fetch"


class FetchSettingsGone(RuntimeError):
    """aiokafka's consumer no longer keeps the fetch settings where this patch sets them."""


def fetch_in_bulk(app: faust.App, settings: Settings) -> None:
    """Make `app`'s stream consumer fetch as `settings` says (the patch is installed once per process; each
    app carries its own values)."""
    setattr(app.conf, CONF_KEY, (settings.fetch_min_bytes, round(settings.fetch_max_wait * 1000)))

    def make(original: Any) -> Any:
        def _create_worker_consumer(self: Any, transport: Any) -> Any:
            consumer = original(self, transport)
            wanted = getattr(self.app.conf, CONF_KEY, None)
            if wanted is not None:
                apply(consumer, *wanted)
            return consumer

        return _create_worker_consumer

    _guard(AIOKafkaConsumerThread, "_create_worker_consumer", make)


def apply(consumer: Any, min_bytes: int, max_wait_ms: int) -> None:
    """Set a consumer's fetch settings before it starts (its fetcher reads them at start)."""
    for name in ("_fetch_min_bytes", "_fetch_max_wait_ms"):
        if not hasattr(consumer, name):
            raise FetchSettingsGone(
                f"aiokafka's consumer has no {name}: streams/worker/fetching.py cannot set the fetch size; "
                "install the aiokafka version pyproject.toml names or review the patch"
            )
    consumer._fetch_min_bytes = min_bytes
    consumer._fetch_max_wait_ms = max_wait_ms
