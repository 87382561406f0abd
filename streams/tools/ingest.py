"""`newsstreams ingest`: validate raw articles locally and publish them to the raw topic keyed by id."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from streams.cleaning.stage import intake
from streams.events import flow
from streams.events.errors import Rejected
from streams.kafka.clients import producer
from streams.settings import Settings
from streams.tools import sources


@dataclass
class Summary:
    sent: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    def describe(self) -> str:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in self.rejected.most_common()) or "none"
        return f"sent {self.sent}, rejected {sum(self.rejected.values())} ({reasons})"


async def ingest(
    paths: Iterable[Path], settings: Settings, *, source: str | None = None, progress: bool = True
) -> Summary:
    """Publish every valid article in `paths`; invalid ones are counted by reason and not sent."""
    messages = list(sources.read(paths, source=source))
    summary = Summary()
    topic = settings.topic(flow.RAW.name)
    client = producer(settings, linger_ms=5)
    await client.start()
    try:
        pending = []
        for key, value in tqdm(messages, disable=not progress, unit="article", desc="ingest"):
            try:
                raw = intake(value, settings)
            except Rejected as exc:
                summary.rejected[str(exc.reason)] += 1
                continue
            pending.append(await client.send(topic, value=value, key=(key or raw.id).encode("utf-8")))
            summary.sent += 1
        for future in pending:
            await future
    finally:
        await client.stop()
    return summary
