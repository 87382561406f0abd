"""The worker with its NLP in a child process, against a real broker: the events `newsstreams process`
computes in one process, and an NLP child killed while it works costs no article."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import orjson
import pytest

from streams.events import flow
from streams.settings import Settings
from streams.tools import process
from streams.tools.bench import load_corpus
from streams.tools.proctree import children, cpu_seconds
from tests.integration.conftest import Broker, Worker
from tests.integration.kafka_io import consume_until, produce, values

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]

TOPICS = (flow.ENRICHED, flow.ENTITIES, flow.QUOTES, flow.TOPICS)


def _articles() -> list[bytes]:
    """The sample feed's articles, each once (distinct sources: no article learns people from another)."""
    messages = load_corpus(None, 7)
    return [m for m in messages if orjson.loads(m).get("body")]


def _nlp_children(pid: int) -> list[int]:
    """The worker's NLP processes (spawned pool children; not multiprocessing's resource tracker)."""
    found = []
    for child in children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            found.append(child)
    return found


async def _publish_and_read(kafka: Broker, namespace: str, messages: list[bytes], enriched: int) -> dict:
    await produce(kafka.bootstrap, f"{namespace}news.articles.raw", [(None, m) for m in messages])
    names = [f"{namespace}{spec.name}" for spec in (*TOPICS, flow.DEADLETTER)]

    def all_enriched(records: list) -> bool:
        return len(values(records, names[0])) >= enriched

    records = await consume_until(kafka.bootstrap, names, all_enriched, timeout=300)
    # The last article's entity, quote and topic events may trail its enriched article: read on a little.
    await asyncio.sleep(3)
    records = await consume_until(kafka.bootstrap, names, all_enriched, timeout=60)
    return {spec.name: values(records, f"{namespace}{spec.name}") for spec in (*TOPICS, flow.DEADLETTER)}


def _expected(messages: list[bytes]) -> dict[str, set[str]]:
    """The event ids `newsstreams process` publishes for `messages`: the enricher in this process."""
    settings = Settings()
    outputs = process.run([(None, m) for m in messages], settings)
    return {
        spec.name: {o.event.event_id for o in outputs if o.spec is spec and o.event is not None}
        for spec in TOPICS
    }


async def test_the_worker_with_nlp_in_a_child_publishes_what_process_computes(
    kafka: Broker, worker_env: dict[str, str], tmp_path: Path
) -> None:
    messages = _articles()
    worker = Worker(env={**worker_env, "NEWSSTREAMS_NLP_PROCESSES": "2"}, log=tmp_path / "worker.log").start()
    try:
        assert worker.proc is not None
        assert len(_nlp_children(worker.proc.pid)) == 2
        got = await _publish_and_read(kafka, worker_env["NEWSSTREAMS_TOPIC_PREFIX"], messages, len(messages))
        pid = worker.proc.pid
    finally:
        worker.stop()
    expected = await asyncio.to_thread(_expected, messages)
    assert {name: {e["event_id"] for e in got[name]} for name in expected} == expected
    assert not got[flow.DEADLETTER.name]
    assert all(expected.values())
    assert not _nlp_children(pid)


async def test_an_nlp_child_killed_while_it_works_loses_no_article(
    kafka: Broker, worker_env: dict[str, str], tmp_path: Path
) -> None:
    messages = _articles()
    log = tmp_path / "worker.log"
    worker = Worker(env=worker_env, log=log).start()
    namespace = worker_env["NEWSSTREAMS_TOPIC_PREFIX"]
    try:
        assert worker.proc is not None
        [child] = _nlp_children(worker.proc.pid)
        idle = cpu_seconds(child)
        reading = asyncio.create_task(_publish_and_read(kafka, namespace, messages, len(messages)))
        # Killed once it is parsing: its CPU time moves only for a batch.
        deadline = time.monotonic() + 120
        while cpu_seconds(child) < idle + 0.3:
            assert time.monotonic() < deadline and not reading.done(), "the child never started the batch"
            await asyncio.sleep(0.05)
        os.kill(child, signal.SIGKILL)
        got = await reading
        [replacement] = _nlp_children(worker.proc.pid)
    finally:
        worker.stop()
    assert replacement != child
    enriched = [e["article_id"] for e in got[flow.ENRICHED.name]]
    assert len(enriched) == len(set(enriched)) == len(messages)
    assert not got[flow.DEADLETTER.name]
    assert "an NLP process died in a batch" in log.read_text()
