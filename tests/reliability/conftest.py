"""Reliability tests: worker subprocesses killed, crowded, cut off and fed poison on a real broker.

The shared broker and worker fixtures come from tests/kafka_fixtures.py. Tests that must stop
and restart a broker, or need SASL, start their own local Kafka (streams.kafka.local: Java and the
jars Maven fetched; always there on these machines, so under CI=true they fail rather than skip).
Each test prints what it measured and appends it to tests/artifacts/reliability.jsonl.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from streams.kafka.local import LocalKafka, free_port, free_port_run, missing_tools
from streams.settings import Settings
from streams.tools.proctree import tree

# The kafka, namespace and worker_env fixtures come from tests/kafka_fixtures.py (one broker per session).
from tests.kafka_fixtures import ROOT, Worker, _unavailable

ARTIFACTS = ROOT / "tests" / "artifacts" / "reliability.jsonl"


def report(test: str, **figures: Any) -> None:
    """Print a test's figures and append them as one JSON line to the artifacts file."""
    line = {"test": test, "at": datetime.now(UTC).isoformat(timespec="seconds"), **figures}
    print(f"\n[reliability] {json.dumps(line)}")
    ARTIFACTS.parent.mkdir(parents=True, exist_ok=True)
    with ARTIFACTS.open("a") as out:
        out.write(json.dumps(line) + "\n")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process now (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"no VmRSS for pid {pid}")


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a worker and its descendants now: its NLP runs in child processes, where spaCy's
    memory lives, so the worker's own VmRSS says little about it."""
    total = 0
    for p in tree(pid):
        try:
            total += rss_bytes(p)
        except (FileNotFoundError, ProcessLookupError, LookupError):
            continue  # a child that ended between the listing and the read
    return total


async def group_lag(env: dict[str, str]) -> int:
    """Messages the worker's consumer group has not committed on the topics it reads."""
    from streams.kafka.admin import describe

    settings = Settings.from_env(env)
    states = await describe(settings, groups=(settings.app_id,))
    return sum(s.lag.get(settings.app_id, 0) for s in states)


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Any]:
    """A factory of brokers owned by the test (so it may stop and start one again: start() returns the
    seconds it took); every one is stopped afterwards."""
    if why := missing_tools():
        _unavailable(why)
    brokers: list[LocalKafka] = []

    def make(**kwargs: Any) -> LocalKafka:
        # The controller listens on port + 1 (a TLS broker's SSL and SASL_SSL on the two after): all free.
        port = free_port_run(4 if kwargs.get("tls") else 2)
        broker = LocalKafka(data=tmp_path / f"kafka-{len(brokers)}", port=port, **kwargs)
        brokers.append(broker)
        broker.start()
        return broker

    yield make
    for broker in brokers:
        broker.stop()


def worker_on(env: dict[str, str], log: Path, **overrides: str) -> Worker:
    """An unstarted worker with `env` plus overrides (each its own web port unless given)."""
    return Worker(env={**env, "NEWSSTREAMS_WEB_PORT": str(free_port()), **overrides}, log=log)


async def worker_on_own_broker(
    own_broker: Any, worker_env: dict[str, str], tmp_path: Path
) -> tuple[LocalKafka, Worker]:
    """A broker of the test's own (one it may stop, or that takes 64 MB messages) and a started worker on it."""
    broker = own_broker()
    env = {**worker_env, "NEWSSTREAMS_BROKER": f"kafka://{broker.bootstrap}"}
    worker = worker_on(env, tmp_path / "worker.log")
    await asyncio.to_thread(worker.start)
    return broker, worker
