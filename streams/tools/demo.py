"""`newsstreams demo`: local Kafka, the worker and the sample feed, with events shown as they arrive."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

from streams.events import flow
from streams.kafka import local
from streams.kafka.admin import apply
from streams.kafka.clients import consumer, producer
from streams.settings import Settings
from streams.tools import demo_feed, sources
from streams.tools.ingest import ingest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SHOWN = (flow.CLEAN, flow.ENTITIES, flow.QUOTES, flow.TOPICS, flow.TRENDING, flow.DEADLETTER)


def describe(topic: str, event: dict[str, Any]) -> str:
    """One readable line for one downstream event."""
    if topic == flow.CLEAN.name:
        return (
            f"clean    {event['article_id']} v{event['version']}: {event.get('headline') or '(no headline)'}"
            f" [{len(event['paragraphs'])} paragraphs, {len(event.get('removed', []))} removed]"
        )
    if topic == flow.ENTITIES.name:
        return (
            f"entity   {event['entity_id']:<32} {event['type']:<6} {len(event['mentions'])} mention(s)"
            f" salience {event['salience']:.2f}"
        )
    if topic == flow.QUOTES.name:
        speaker = (event.get("speaker") or {}).get("name") or "(unattributed)"
        text = event["text"] if len(event["text"]) < 110 else event["text"][:107] + "..."
        return f"quote    {speaker}: “{text}”"
    if topic == flow.TOPICS.name:
        return f"topic    {event['article_id']}: {event['topic']} {event['label']} ({event['score']:.2f})"
    if topic == flow.TRENDING.name:
        return (
            f"trending {event['name']} [{event['window']}] {event['count']} (prev {event['previous_count']})"
        )
    if topic == flow.DEADLETTER.name:
        return f"dead     {event.get('original_key')}: {event['reason']} ({event['detail'][:80]})"
    return f"{topic}: {event}"


async def _show(settings: Settings, ready: asyncio.Event) -> None:
    names = {settings.topic(spec.name): spec.name for spec in SHOWN}
    client = consumer(settings, *names, auto_offset_reset="earliest", enable_auto_commit=False)
    await client.start()
    try:
        ready.set()
        async for record in client:
            event = orjson.loads(record.value) if record.value else {}
            print(describe(names[record.topic], event), flush=True)
    finally:
        await client.stop()


async def _feed(settings: Settings) -> None:
    summary = await ingest([SAMPLES / "feed.jsonl"], settings, source="samples", progress=False)
    print(f"ingest   sample feed: {summary.describe()}", flush=True)
    bad = SAMPLES / "bad.jsonl"
    if bad.exists():
        # Bad input goes in unvalidated, as a broken feed would send it, to show the dead-letter path.
        client = producer(settings)
        await client.start()
        try:
            for key, value in sources.read([bad]):
                await client.send_and_wait(
                    settings.topic(flow.RAW.name), value=value, key=(key or "bad").encode()
                )
        finally:
            await client.stop()


async def stream(settings: Settings, rate: float, *, seed: int = 0, limit: int | None = None) -> int:
    """Send the continuous demo feed (fresh articles dated now) at `rate` articles a second; returns how
    many were sent (only with `limit`: otherwise it runs until cancelled)."""
    client = producer(settings)
    await client.start()
    sent = 0
    try:
        for event in demo_feed.articles(seed):
            await client.send_and_wait(
                settings.topic(flow.RAW.name), value=orjson.dumps(event), key=event["id"].encode()
            )
            sent += 1
            if sent % 30 == 0:
                print(f"ingest   demo feed: {sent} fresh articles sent", flush=True)
            if limit is not None and sent >= limit:
                return sent
            await asyncio.sleep(1 / rate)
    finally:
        await client.stop()
    return sent


class ChildExited(Exception):
    """A process the demo started has stopped on its own: the demo stops everything else."""


def _alive(kafka: local.LocalKafka | None) -> bool:
    if kafka is None or kafka.pid is None:
        return True
    try:
        os.kill(kafka.pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _supervise(children: dict[str, subprocess.Popen[bytes]], kafka: local.LocalKafka | None) -> None:
    """Return nothing, ever: raise `ChildExited` as soon as the worker, the dashboard or Kafka is gone."""
    while True:
        for name, proc in children.items():
            if proc.poll() is not None:
                raise ChildExited(f"the {name} exited (code {proc.returncode})")
        if not _alive(kafka):
            raise ChildExited("the local Kafka broker exited")
        await asyncio.sleep(0.5)


async def _run(
    settings: Settings,
    children: dict[str, subprocess.Popen[bytes]],
    kafka: local.LocalKafka | None,
    rate: float,
) -> None:
    supervisor = asyncio.create_task(_supervise(children, kafka))

    async def show_and_feed() -> None:
        for change in await apply(settings):
            print(f"topics   {change.topic}: {change.action}", flush=True)
        ready = asyncio.Event()
        show = asyncio.create_task(_show(settings, ready))
        await ready.wait()
        await _feed(settings)
        if rate > 0:
            print(f"ingest   demo feed: fresh articles at {rate:g} a second until stopped", flush=True)
            await stream(settings, rate)
        await show

    work = asyncio.create_task(show_and_feed())
    try:
        done, _ = await asyncio.wait({supervisor, work}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # a child's exit (or the demo's own failure) surfaces here
    finally:
        for task in (supervisor, work):
            task.cancel()
        await asyncio.gather(supervisor, work, return_exceptions=True)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


# Every way a person or a supervisor stops the demo. SIGINT is among them because a shell starting the
# demo in the background sets it to "ignore", and Python then never raises KeyboardInterrupt on Ctrl-C.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def run_demo(settings: Settings, *, port: int = 9092, rate: float = 0.5) -> int:
    """Start everything, show the events until Ctrl-C (or SIGTERM), then stop everything this started."""
    # `kill` stops it like Ctrl-C does: without this, SIGTERM ended the demo and left Kafka running.
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupt)
    work = Path(tempfile.mkdtemp(prefix="newsstreams-demo-"))
    kafka = None if "NEWSSTREAMS_BROKER" in os.environ else local.LocalKafka(data=work / "kafka", port=port)
    if kafka is not None:
        settings = dataclasses.replace(settings, broker=kafka.broker)
        print(f"kafka    starting local Apache Kafka on {kafka.bootstrap} ...", flush=True)
        try:
            kafka.start()
        except local.LocalKafkaError as exc:
            shutil.rmtree(work, ignore_errors=True)
            raise SystemExit(str(exc)) from None
    settings = dataclasses.replace(settings, data_dir=str(work / "worker"))
    env = {**os.environ, "NEWSSTREAMS_BROKER": settings.broker, "NEWSSTREAMS_DATA_DIR": settings.data_dir}
    procs: list[subprocess.Popen[bytes]] = []
    status = 0
    try:
        log = work / "worker.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "streams.tools.cli", "worker"], env=env, stdout=out, stderr=out
            )
        procs.append(worker)
        print(f"worker   started (pid {worker.pid}, log {log}); waiting until it is ready ...", flush=True)
        try:
            local.wait_ready(local.ready_url(Settings.from_env(env)), worker, log)
        except local.WorkerNotReady as exc:
            raise SystemExit(f"the worker did not become ready; see {log}\n{exc}") from None
        dashboard = _start_dashboard(env, work, procs)
        if dashboard:
            print(f"dashboard {dashboard}", flush=True)
        print("showing events from the downstream topics; Ctrl-C stops everything", flush=True)
        children = dict(zip(("worker", "dashboard"), procs, strict=False))
        try:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_run(settings, children, kafka, rate))
        except ChildExited as exc:
            print(
                f"{exc}; stopping everything (logs in {work} are removed; rerun to see them live)", flush=True
            )
            status = 1
    finally:
        # Stopping has begun: a second Ctrl-C or SIGTERM (an impatient user, a supervisor's follow-up) must not
        # abort it half way and leave the worker running. The stop is bounded (30 s a child, then SIGKILL).
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if kafka is not None:
            kafka.stop()
        shutil.rmtree(work, ignore_errors=True)
        print("stopped", flush=True)
    return status


def _start_dashboard(env: dict[str, str], work: Path, procs: list[subprocess.Popen[bytes]]) -> str | None:
    """Start the dashboard service when this build has one; returns its URL."""
    import importlib.util

    if importlib.util.find_spec("streams.web.server") is None:
        return None
    settings = Settings.from_env(env)
    with (work / "dashboard.log").open("wb") as out:
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "streams.tools.cli", "dashboard"], env=env, stdout=out, stderr=out
            )
        )
    return f"http://{settings.dashboard_host}:{settings.dashboard_port}/"
