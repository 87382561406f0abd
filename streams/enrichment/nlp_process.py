"""The enrich stage's NLP in child processes: spaCy and the topic model loaded once in each, off the GIL of
the worker's event loop, and a child that dies costs a retry, never an article.

With the NLP in a thread of the worker, spaCy (~80 ms CPU an article) and the event loop (Faust, Kafka
sends, state: ~23 ms) shared one GIL and so one core. A child process has a core of its own. The worker
process never imports spaCy: the children load it and send back plain values (`Enriched`, Faust records,
`Rejected`), pickled.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from streams.enrichment.results import Enriched
from streams.events.errors import Reason, Rejected
from streams.events.records import CleanArticle
from streams.settings import Settings
from streams.worker.health import Metrics

log = logging.getLogger(__name__)

Known = Mapping[str, Mapping[str, str]]
Result = Enriched | Exception

# In a child process: the Enricher its initializer loaded (None in the worker process).
_enricher: Any = None


def load_in_child(settings: Settings) -> None:
    """The pool's initializer: load the spaCy pipeline and the topic model once, in the child."""
    import gc

    from streams.enrichment.enrich import Enricher
    from streams.enrichment.iptc import TopicClassifier
    from streams.enrichment.nlp import load_model

    global _enricher
    # A stopping worker signals its process group: the parent shuts its pool down, the child must not die
    # first with a batch half done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # A worker killed outright (SIGKILL, the OOM killer) cannot shut its pool down, and the child, which holds
    # its own end of the call queue's pipe, would wait on it forever: it goes when its parent does.
    threading.Thread(target=_exit_with, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    _enricher = Enricher(
        load_model(settings.model), TopicClassifier.load(settings.topic_model or None), settings
    )
    _enricher.warm_up()
    gc.freeze()  # the models live as long as the child: out of the collector's walks


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def child_pid() -> int:
    """Run in a child once its models are loaded: its process id (after a pause, so that one child loaded
    first does not answer every call while the others still load)."""
    time.sleep(0.2)
    return os.getpid()


def run_in_child(articles: list[CleanArticle], known: Known) -> tuple[list[Result], float]:
    """Enrich one chunk in the child: its results (each pickles) and the CPU seconds the child spent."""
    started = time.process_time()
    marker = _enricher.settings.fault_nlp_crash
    if marker and any(marker in " ".join(map(str, a.paragraphs)) for a in articles):
        os.kill(os.getpid(), signal.SIGKILL)  # test-only (NEWSSTREAMS_FAULT_NLP_CRASH): as a segfault
    results = [portable(r) for r in _enricher.run(articles, known)]
    return results, time.process_time() - started


def portable(result: Result) -> Result:
    """`result` as it can cross to the worker: any exception but a `Rejected` becomes the `stage_error`
    rejection its dead letter would say (a spaCy exception class may not pickle, nor exist in the worker)."""
    if isinstance(result, Exception) and not isinstance(result, Rejected):
        return Rejected(Reason.STAGE_ERROR, f"{type(result).__name__}: {result}")
    return result


def in_runs(weights: Sequence[int], chunks: int) -> list[list[int]]:
    """Positions of `weights` split into at most `chunks` runs of consecutive positions, each run's weight
    (its articles' text length) as near the mean as cuts between articles allow: the batch ends when its
    slowest child does, so one long article is not put beside many others. Each child enriches one run in
    batch order, its articles learning people from the ones before them in it; a run does not learn from
    another run of the same batch, as two workers' batches do not (the next batch learns from all of them).
    Split by source, a one-source feed used one child only."""
    counted = [max(w, 1) for w in weights]  # an empty text still costs its article something
    parts = max(1, min(chunks, len(counted)))
    total = sum(counted)
    out: list[list[int]] = [[] for _ in range(parts)]
    done = 0
    for i, weight in enumerate(counted):
        # The run whose share of the total holds this article's middle.
        run = min(int((done + weight / 2) * parts / total), parts - 1)
        out[run].append(i)
        done += weight
    return [run for run in out if run]


def text_length(article: CleanArticle) -> int:
    """What an article costs the NLP, about: its characters (spaCy's time grows with its words)."""
    # Never raises in the worker: an article the stage cannot read fails in the child, with its dead letter.
    texts = [article.headline, *article.paragraphs]
    return sum(len(t) for t in texts if isinstance(t, str))


def learned(known: Known, result: Result) -> dict[str, Mapping[str, str]]:
    """`known` after `result`: its source knows what the article left it knowing (as in a batch)."""
    if not isinstance(result, Enriched):
        return dict(known)
    return {**known, result.article.source: result.people}


class NlpProcess:
    """A pool of `settings.nlp_processes` spawned children, each with the models loaded once. The worker's
    enrich agent awaits `run` for each batch; `enricher` is set once every child has loaded."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.size = max(settings.nlp_processes, 1)
        self.pool: ProcessPoolExecutor | None = None
        self.pids: set[int] = set()
        # Truthy once loaded (the readiness check reads it, as it read the thread's Enricher).
        self.enricher: bool = False
        self._loading: asyncio.Future[None] | None = None
        self.closed = False

    async def load(self) -> None:
        """Start the pool and wait until each child has loaded the models (once, however many wait)."""
        if self.closed:
            raise RuntimeError("the NLP processes are stopped")
        if self._loading is None:
            self._loading = asyncio.ensure_future(self._start())
        await asyncio.shield(self._loading)

    async def _start(self) -> None:
        # Spawned, never forked: the worker has an event loop, threads and sockets a fork would copy.
        self.pool = ProcessPoolExecutor(
            self.size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=load_in_child,
            initargs=(self.settings,),
        )
        # As many calls as children, at once (each call that finds no idle child starts one), until every
        # child has answered: then all have loaded, and each one's pid is known (to reap it on stop).
        while len(self.pids) < self.size:
            self.pids |= set(await asyncio.gather(*(self._submit(child_pid) for _ in range(self.size))))
        self.enricher = True

    def _submit(self, fn: Any, *args: Any) -> asyncio.Future[Any]:
        assert self.pool is not None, "load() first"
        return asyncio.wrap_future(self.pool.submit(fn, *args))

    async def run(self, articles: list[CleanArticle], known: Known) -> list[Result]:
        """Enrich a batch: its results in batch order. A child that dies on it is replaced and the batch
        redone one article at a time; an article that kills a child alone is refused (`nlp_crashed`)."""
        await self.load()
        try:
            return await self._split(articles, known)
        except BrokenProcessPool:
            log.error(
                "an NLP process died in a batch of %d article(s); redoing it one at a time", len(articles)
            )
        await self._restart()
        results: list[Result] = []
        for article in articles:
            result = await self._alone(article, known)
            known = learned(known, result)
            results.append(result)
            self.metrics.batch_moved = time.monotonic()  # each article redone is progress to the watchdog
        return results

    async def _split(self, articles: list[CleanArticle], known: Known) -> list[Result]:
        chunks = in_runs([text_length(a) for a in articles], self.size)
        done = await asyncio.gather(
            *(self._submit(run_in_child, [articles[i] for i in chunk], known) for chunk in chunks)
        )
        results: list[Result | None] = [None] * len(articles)
        for chunk, (chunk_results, cpu) in zip(chunks, done, strict=True):
            self.metrics.nlp_cpu.inc(cpu)
            for i, result in zip(chunk, chunk_results, strict=True):
                results[i] = result
        return [r for r in results if r is not None]

    async def _alone(self, article: CleanArticle, known: Known) -> Result:
        try:
            [result], cpu = await self._submit(
                run_in_child, [article], {article.source: known.get(article.source) or {}}
            )
        except BrokenProcessPool:
            log.error(
                "article %s v%d killed an NLP process twice: refused", article.article_id, article.version
            )
            await self._restart()
            return Rejected(
                Reason.NLP_CRASHED,
                "the NLP process died parsing this article, twice (crash or out of memory)",
            )
        self.metrics.nlp_cpu.inc(cpu)
        return result

    async def _restart(self) -> None:
        await self._stop()
        await self.load()
        self.metrics.batch_moved = time.monotonic()

    async def close(self) -> None:
        """Shut the pool down for good (on worker stop): no child outlives the worker."""
        self.closed = True
        await self._stop()

    async def _stop(self) -> None:
        pool, self.pool, self._loading, self.enricher = self.pool, None, None, False
        if pool is None:
            return
        # One shutdown that waits until the children are joined (a second call would not wait: the first
        # drops its thread), beside a reaper that kills a child still running after 10 s.
        await asyncio.gather(
            asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True),
            asyncio.to_thread(_reap, set(self.pids), 10.0),
        )
        self.pids.clear()


def _reap(pids: set[int], timeout: float) -> None:
    """Wait up to `timeout` seconds for the children `pids` to exit, then kill what is left."""
    deadline = time.monotonic() + timeout
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if _alive(pid)}
        time.sleep(0.05)
    for pid in alive:
        log.warning("NLP process %d did not stop; killed", pid)
        os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Whether `pid` runs (an exited child the pool has not yet joined, a zombie, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
