"""`newsstreams bench`: the pipeline through a real broker against plain `nlp.pipe`, measured in one run."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from streams.cleaning.stage import State, clean_stage, intake
from streams.enrichment.nlp import article_text, load_model
from streams.events import flow
from streams.events.records import CleanArticle
from streams.kafka import local
from streams.kafka.admin import apply
from streams.kafka.clients import consumer, producer
from streams.settings import Settings
from streams.tools import record_count, sources
from streams.tools.proctree import PeakTreePss, cpu_seconds, tree_cpu_seconds

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_FEED = ROOT / "samples" / "feed.jsonl"
log = logging.getLogger(__name__)


def load_corpus(path: Path | None, articles: int) -> list[bytes]:
    """`articles` raw messages with distinct ids, cycling through the corpus (JSONL raw, BBC-style, files)."""
    base: list[bytes] = []
    for _, value in sources.read([path or SAMPLE_FEED], source="bench"):
        data = orjson.loads(value)
        if "category" in data and "body" in data and "content_type" not in data:
            # The BBC evaluation layout: headline + body, one article a line.
            data = {
                "id": data["id"],
                "source": "bbc.example",
                "content_type": "text/plain",
                "headline": data["headline"],
                "body": data["body"],
            }
        base.append(orjson.dumps(data))
    out = []
    for i in range(articles):
        data = orjson.loads(base[i % len(base)])
        key = "uri" if "uri" in data and "id" not in data else "id"
        data[key] = f"{data[key]}#bench-{i}"
        out.append(orjson.dumps(data))
    return out


def clean_all(messages: list[bytes], settings: Settings) -> list[CleanArticle]:
    state = State()
    articles = []
    for value in messages:
        for out in clean_stage(intake(value, settings), settings, state):
            if isinstance(out.event, CleanArticle):
                articles.append(out.event)
    return articles


def reference(articles: list[CleanArticle], settings: Settings, processes: int = 1) -> dict[str, Any]:
    """Plain `nlp.pipe` with the pipeline's own spaCy components over the same texts, in `processes`
    processes (spaCy's `n_process`: forked children, documents sent back to this process)."""
    nlp = load_model(settings.model)
    texts = [article_text(a)[0] for a in articles]
    words = sum(len(t.split()) for t in texts)
    list(nlp.pipe(texts[: min(8, len(texts))]))  # warm-up: first calls allocate
    started = time.perf_counter()
    # Children are forked from this warmed-up process, so their start (in the timing) is short.
    for _ in nlp.pipe(texts, batch_size=settings.batch_size, n_process=processes):
        pass
    seconds = time.perf_counter() - started
    return {
        "processes": processes,
        "components": list(nlp.pipe_names),
        "articles": len(texts),
        "words": words,
        "seconds": round(seconds, 2),
        "ms_per_article": round(seconds * 1000 / len(texts), 1),
        "articles_per_s": round(len(texts) / seconds, 2),
        "words_per_s": round(words / seconds, 1),
    }


@dataclasses.dataclass(frozen=True)
class Broker:
    settings: Settings
    pid: int | None  # the local broker's process, when this run started it (its CPU is measured)


@contextmanager
def local_kafka(settings: Settings) -> Iterator[Broker]:
    """The broker named in settings if NEWSSTREAMS_BROKER is set, else a local one for this run."""
    if "NEWSSTREAMS_BROKER" in os.environ:
        yield Broker(settings, None)
        return
    with local.running() as kafka:
        yield Broker(dataclasses.replace(settings, broker=kafka.broker), kafka.pid)


class Workers:
    """N worker subprocesses in one consumer group, each with its own web port and data folder."""

    def __init__(self, settings: Settings, count: int, work: Path, nlp_processes: int = 1) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.ports: list[int] = []
        self.logs: list[Path] = []
        self.envs: list[dict[str, str]] = []
        for n in range(count):
            port = local.free_port()
            log = work / f"worker-{n}.log"
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("NEWSSTREAMS_")},
                "NEWSSTREAMS_BROKER": settings.broker,
                "NEWSSTREAMS_TOPIC_PREFIX": settings.topic_prefix,
                "NEWSSTREAMS_APP_ID": settings.app_id,
                "NEWSSTREAMS_DATA_DIR": str(work / f"data-{n}"),
                "NEWSSTREAMS_WEB_PORT": str(port),
                "NEWSSTREAMS_BATCH_SIZE": str(settings.batch_size),
                "NEWSSTREAMS_NLP_PROCESSES": str(nlp_processes),
                "NEWSSTREAMS_BATCH_WITHIN": str(settings.batch_within),
                "NEWSSTREAMS_PRODUCER_LINGER": str(settings.producer_linger),
                "NEWSSTREAMS_FETCH_MIN_BYTES": str(settings.fetch_min_bytes),
                "NEWSSTREAMS_FETCH_MAX_WAIT": str(settings.fetch_max_wait),
                "NEWSSTREAMS_STORE": settings.store,
                "NEWSSTREAMS_TRENDING_STORE": settings.trending_store,
                "NEWSSTREAMS_LOG_LEVEL": "warning",
            }
            with log.open("wb") as out:
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "streams.tools.cli", "worker"], env=env, stdout=out, stderr=out
                    )
                )
            self.ports.append(port)
            self.logs.append(log)
            self.envs.append(env)

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        for env, proc, log in zip(self.envs, self.procs, self.logs, strict=True):
            url = local.ready_url(Settings.from_env(env))
            local.wait_ready(url, proc, log, timeout=max(0.0, deadline - time.monotonic()))

    def peak_rss_mb(self) -> list[float]:
        peaks = []
        for proc in self.procs:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
            peaks.append(round(kb / 1024, 1))
        return peaks

    def _metrics(self) -> list[str]:
        import urllib.request

        lines: list[str] = []
        for port in self.ports:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                lines.extend(r.read().decode().splitlines())
        return lines

    def stage_seconds(self) -> dict[str, float]:
        """Seconds spent per stage, summed over workers, from their Prometheus endpoints."""
        totals: dict[str, float] = {}
        for line in self._metrics():
            if line.startswith("newsstreams_stage_seconds_sum"):
                stage = line.split('stage="')[1].split('"')[0]
                totals[stage] = round(totals.get(stage, 0.0) + float(line.rsplit(" ", 1)[1]), 2)
        return totals

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU seconds used so far by the workers (each with its child processes): in all, and in their NLP
        threads."""
        nlp = sum(
            float(line.rsplit(" ", 1)[1])
            for line in self._metrics()
            if line.startswith("newsstreams_nlp_thread_cpu_seconds_total")
        )
        return sum(tree_cpu_seconds(p.pid) for p in self.procs), nlp

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                log.warning("worker %d did not stop within 60 s of SIGTERM; killed", proc.pid)
                proc.kill()
                proc.wait(10)


async def _produce(
    settings: Settings, messages: list[bytes], rate: float | None = None, sent: dict[str, float] | None = None
) -> dict[str, float]:
    """Publish raw messages (at `rate` per second when given); each article id's send time goes into `sent`
    as it is sent (a collector running meanwhile reads it), which is also returned."""
    sent = {} if sent is None else sent
    client = producer(settings, linger_ms=5, max_request_size=8 * 1024 * 1024)
    await client.start()
    try:
        started = time.monotonic()
        for i, value in enumerate(messages):
            if rate:
                await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
            key = sources.guess_key(value) or str(i)
            sent[key] = time.time()
            await client.send(settings.topic(flow.RAW.name), value=value, key=key.encode())
        await client.flush()
    finally:
        await client.stop()
    return sent


async def _collect(
    settings: Settings, expected: int, timeout: float, sent: dict[str, float] | None = None
) -> dict[str, Any]:
    """Arrival times of enriched articles (throughput) and, per article, of the last of its entity, quote
    and topic events (latency)."""
    specs = (flow.ENRICHED,) if sent is None else (flow.ENRICHED, flow.ENTITIES, flow.QUOTES, flow.TOPICS)
    names = [settings.topic(s.name) for s in specs]
    client = consumer(settings, *names, auto_offset_reset="earliest", enable_auto_commit=False)
    await client.start()
    enriched: list[float] = []
    last: dict[str, float] = {}
    events = 0
    deadline = time.monotonic() + timeout
    # Timing events, the last articles' events may still be on their way when their enriched articles
    # are in: reading goes on until a poll brings nothing.
    quiet = False
    try:
        while (len(enriched) < expected or (sent is not None and not quiet)) and time.monotonic() < deadline:
            batch = await client.getmany(timeout_ms=500)
            quiet = not batch
            now = time.time()
            for tp, records in batch.items():
                for r in records:
                    if tp.topic == names[0]:
                        enriched.append(now)
                    elif sent is not None:
                        article = orjson.loads(r.value)["article_id"] if r.value else None
                        if article in sent:
                            last[article] = now
                            events += 1
    finally:
        await client.stop()
    latencies = [at - sent[article] for article, at in last.items()] if sent is not None else []
    return {
        "enriched": sorted(enriched),
        "latencies": latencies,
        "articles_measured": len(last),
        "events": events,
    }


def _steady_rate(arrivals: list[float]) -> float:
    """Articles per second between the 10th and 90th percentile arrivals (start-up and tail left out)."""
    if len(arrivals) < 10:
        return float("nan")
    lo, hi = arrivals[len(arrivals) // 10], arrivals[(len(arrivals) * 9) // 10]
    return ((len(arrivals) * 9) // 10 - len(arrivals) // 10) / max(hi - lo, 1e-9)


def throughput_run(
    broker: Broker, messages: list[bytes], expected: int, workers: int, nlp_processes: int = 1
) -> dict[str, Any]:
    """`workers` processes (each with `nlp_processes` NLP children), ready and idle, then every message
    published at once; they drain the backlog.
    Steady articles/s, and where the CPU went (per article: the workers' NLP threads, the rest of the
    workers, the broker). Nothing is processed before the clock and the CPU counters start."""
    run = dataclasses.replace(
        broker.settings, topic_prefix=f"bench{uuid.uuid4().hex[:8]}.", app_id=f"bench-{workers}"
    )
    run = dataclasses.replace(run, app_id=f"{run.topic_prefix}newsstreams")
    work = Path(tempfile.mkdtemp(prefix="newsstreams-bench-"))
    asyncio.run(apply(run))
    group = Workers(run, workers, work, nlp_processes)
    try:
        group.wait_ready()
        worker_cpu, nlp_cpu = group.cpu_seconds()
        broker_cpu = cpu_seconds(broker.pid) if broker.pid else 0.0
        started = time.time()

        async def publish_and_collect() -> dict[str, Any]:
            collector = asyncio.create_task(_collect(run, expected, timeout=3600))
            await _produce(run, messages)
            return await collector

        with PeakTreePss([p.pid for p in group.procs]) as memory:
            got = asyncio.run(publish_and_collect())
        rss, stages = group.peak_rss_mb(), group.stage_seconds()
        worker_after, nlp_after = group.cpu_seconds()
        broker_after = cpu_seconds(broker.pid) if broker.pid else 0.0
        # After the CPU figures: what trails the enriched articles (trending, changelogs) settles first.
        records = record_count.count_when_settled(run, max(len(got["enriched"]), 1))
    finally:
        group.stop()
        shutil.rmtree(work, ignore_errors=True)
    arrivals = got["enriched"]
    wall = (arrivals[-1] if arrivals else time.time()) - started
    return {
        "workers": workers,
        "articles": len(arrivals),
        "wall_seconds": round(wall, 1),
        # From ready to the last enriched article: the backlog drained, start-up excluded.
        "articles_per_s": round(len(arrivals) / wall, 2),
        "steady_articles_per_s": round(_steady_rate(arrivals), 2),
        "peak_rss_mb": rss,
        # Per worker, its whole process tree (NLP children included), sampled every 0.25 s.
        "peak_tree_pss_mb": memory.peaks_mb(),
        "stage_seconds": stages,
        "kafka_records": records,
        "cpu_ms_per_article": {
            # The NLP processes' CPU on batches, as they count it (the key is kept from the NLP thread).
            "worker_nlp_threads": round((nlp_after - nlp_cpu) * 1000 / max(len(arrivals), 1), 1),
            "worker_rest": round(
                ((worker_after - worker_cpu) - (nlp_after - nlp_cpu)) * 1000 / max(len(arrivals), 1), 1
            ),
            "broker": round((broker_after - broker_cpu) * 1000 / max(len(arrivals), 1), 1)
            if broker.pid
            else None,
        },
    }


def latency_run(settings: Settings, messages: list[bytes], expected: int, rate: float) -> dict[str, Any]:
    """One worker under a steady offered load; per article, the time from its raw message's send to the
    arrival of the last of its entity, quote and topic events."""
    run = dataclasses.replace(settings, topic_prefix=f"bench{uuid.uuid4().hex[:8]}.")
    run = dataclasses.replace(run, app_id=f"{run.topic_prefix}newsstreams")
    work = Path(tempfile.mkdtemp(prefix="newsstreams-bench-"))
    asyncio.run(apply(run))
    group = Workers(run, 1, work)
    try:
        group.wait_ready()

        async def both() -> dict[str, Any]:
            sent: dict[str, float] = {}
            collector = asyncio.create_task(_collect(run, expected, timeout=600, sent=sent))
            await asyncio.sleep(2)  # the collector is subscribed before the first send
            await _produce(run, messages, rate=rate, sent=sent)
            return await collector

        with PeakTreePss([p.pid for p in group.procs]) as memory:
            got = asyncio.run(both())
        rss = group.peak_rss_mb()
    finally:
        group.stop()
        shutil.rmtree(work, ignore_errors=True)
    lat = sorted(got["latencies"])

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 3) if lat else float("nan")

    return {
        "offered_articles_per_s": round(rate, 2),
        "articles": len(messages),
        # Articles with at least one entity, quote or topic event timed (all of them, once delivered).
        "articles_measured": got["articles_measured"],
        "events": got["events"],
        "p50_s": pct(0.50),
        "p95_s": pct(0.95),
        "p99_s": pct(0.99),
        "max_s": round(lat[-1], 3) if lat else float("nan"),
        "peak_rss_mb": rss,
        "peak_tree_pss_mb": memory.peaks_mb(),
        "median_s": round(statistics.median(lat), 3) if lat else float("nan"),
    }


def latency_sample(messages: list[bytes], size: int = 250, longest: int = 2) -> list[bytes]:
    """A fixed sample for the latency phase: the corpus's first `size` articles, with its `longest` longest
    articles in it wherever they are (they replace the last ones when they come later): whatever queues
    behind a long article is what p99 is about. The BBC corpus's longest, 3,477 and 2,342 words, are its
    248th and 249th lines."""
    sample = list(messages[:size])
    by_length = sorted(range(len(messages)), key=lambda i: len(messages[i]), reverse=True)[:longest]
    missing = sorted(i for i in by_length if i >= size)
    if missing:
        sample[len(sample) - len(missing) :] = [messages[i] for i in missing]
    return sample


def reference_runs(refs: list[dict[str, Any]]) -> dict[str, Any]:
    """A reference's runs (before, between and after the broker phases) and how far they drift."""
    rates = [r["articles_per_s"] for r in refs]
    return {"articles_per_s": rates, "max_over_min": round(max(rates) / min(rates), 3)}


def ratios(
    one_process: list[dict[str, Any]], all_cores: list[dict[str, Any]], one: float, machine: float
) -> dict[str, float]:
    """The targets' ratios. Each reference ran before, between and after the two phases; a phase is set
    against the mean of its reference's runs just before and just after it: one worker against plain
    `nlp.pipe` in one process, the machine phase against `nlp.pipe` on all cores."""

    def around(refs: list[dict[str, Any]], phase: int) -> float:
        return (refs[phase]["articles_per_s"] + refs[phase + 1]["articles_per_s"]) / 2

    return {
        "one_worker_vs_one_process": round(one / around(one_process, 0), 3),
        "machine_vs_all_cores": round(machine / around(all_cores, 1), 3),
        "all_cores_vs_one_process": round(around(all_cores, 0) / around(one_process, 0), 3),
    }


def _references(
    cleaned: list[CleanArticle], settings: Settings, cores: int, refs: dict[str, list[Any]]
) -> None:
    for name, processes in (("one_process", 1), ("all_cores", cores)):
        refs[name].append(reference(cleaned, settings, processes))
        print(
            f"reference nlp.pipe, {processes} process(es): {refs[name][-1]['articles_per_s']} articles/s",
            flush=True,
        )


def _phase(name: str, run: dict[str, Any], words: int, articles: int) -> dict[str, Any]:
    run["words_per_s"] = round(run["articles_per_s"] * words / articles, 1)
    print(
        f"{name}: {run['articles_per_s']} articles/s, peak PSS per worker tree {run['peak_tree_pss_mb']} MB, "
        f"CPU ms per article {run['cpu_ms_per_article']}, Kafka records per article other than the contract's {run['kafka_records'].get('other_than_contract_per_article')}",
        flush=True,
    )
    return run


# How the machine phase uses every core: a worker per core, each with one NLP process (the default, what the
# README recommends), or one worker whose NLP runs in a child process per core. On 2 cores, 712 BBC articles,
# each layout twice, alternated: 13.7 and 13.8 articles/s either way; one worker's tree then holds two models
# (865-880 MB at its peak, against 610-670 MB for each of two workers).
MACHINE_LAYOUTS = ("workers", "nlp-processes")


def machine_phase(
    broker: Broker, messages: list[bytes], expected: int, cores: int, layout: str
) -> tuple[str, dict[str, Any]]:
    """The machine phase in `layout`: its configuration, said in words, and its run."""
    if layout == "workers":
        return f"{cores} workers, one per core", throughput_run(broker, messages, expected, cores)
    if layout != "nlp-processes":
        raise ValueError(f"machine layout {layout!r}: one of {', '.join(MACHINE_LAYOUTS)}")
    run = throughput_run(broker, messages, expected, 1, nlp_processes=cores)
    return f"1 worker, NEWSSTREAMS_NLP_PROCESSES={cores}", run


def run_bench(
    settings: Settings,
    corpus: Path | None,
    articles: int,
    out: Path | None,
    machine_layout: str = MACHINE_LAYOUTS[0],
) -> dict[str, Any]:
    """References, one worker, references, the machine phase, references, and latency at half the one-worker
    maximum, in one run. The machine phase is the configuration the README recommends for this machine
    (`machine_layout`: a worker per core, or one worker with an NLP process per core), with the broker on
    the same machine."""
    messages = load_corpus(corpus, articles)
    cleaned = clean_all(messages, settings)
    words = sum(len(article_text(a)[0].split()) for a in cleaned)
    cores = os.cpu_count() or 1
    print(
        f"corpus: {len(messages)} raw articles, {len(cleaned)} after cleaning, {words} words; {cores} cores",
        flush=True,
    )
    result: dict[str, Any] = {
        "corpus": str(corpus or SAMPLE_FEED),
        "articles": len(cleaned),
        "words": words,
        "cores": cores,
    }
    # The references run again between and after the broker phases: this machine's speed drifts over
    # minutes, so each pipeline phase is set against the references run right before and after it. All
    # run beside the same idle broker.
    refs: dict[str, list[Any]] = {"one_process": [], "all_cores": []}
    with local_kafka(settings) as broker:
        _references(cleaned, settings, cores, refs)
        one = _phase("1 worker", throughput_run(broker, messages, len(cleaned), 1), words, len(cleaned))
        _references(cleaned, settings, cores, refs)
        layout, run = machine_phase(broker, messages, len(cleaned), cores, machine_layout)
        machine = _phase(f"machine ({layout})", run, words, len(cleaned))
        machine["configuration"] = f"{layout}, broker on the same machine"
        _references(cleaned, settings, cores, refs)
        sample = latency_sample(messages)
        lat = latency_run(broker.settings, sample, len(sample), one["articles_per_s"] / 2)
        print(
            f"latency per article at {lat['offered_articles_per_s']}/s over {len(sample)}: "
            f"p50 {lat['p50_s']} p95 {lat['p95_s']} p99 {lat['p99_s']} max {lat['max_s']}"
        )
    result.update(reference=refs["one_process"][0], one_worker=one, machine=machine, latency=lat)
    result["reference_runs"] = {name: reference_runs(runs) for name, runs in refs.items()}
    result["ratios"] = ratios(
        refs["one_process"], refs["all_cores"], one["articles_per_s"], machine["articles_per_s"]
    )
    print(f"ratios: {result['ratios']}", flush=True)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
        print(f"written to {out}")
    return result
