"""Worker health and metrics: liveness, readiness and Prometheus counters on the Faust web server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import faust
from faust.types import TP, AppT
from faust.web import Request, Response, View
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from streams.exposure import bearer_ok


@dataclass
class Metrics:
    """Per-stage counters and latencies of one worker, in their own registry (no process globals)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.messages = Counter(
            "newsstreams_messages",
            "Messages handled, by stage and outcome",
            ["stage", "outcome"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "newsstreams_dead_letters",
            "Dead letters, by stage and reason",
            ["stage", "reason"],
            registry=self.registry,
        )
        self.seconds = Histogram(
            "newsstreams_stage_seconds",
            "Time spent in a stage per call (a batch for enrich)",
            ["stage"],
            registry=self.registry,
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.nlp_cpu = Counter(
            "newsstreams_nlp_thread_cpu_seconds",
            "CPU seconds of the NLP processes on batches (spaCy, entities, quotes, topics), as they count "
            "them; the rest of the worker's CPU is the event loop's (the name is kept from the NLP thread)",
            registry=self.registry,
        )
        self.trending_late = Counter(
            "newsstreams_trending_late",
            "Trending inputs dropped as later than the grace period behind their partition's watermark",
            ["kind"],
            registry=self.registry,
        )
        self.lag = Gauge(
            "newsstreams_consumer_lag",
            "Messages not yet committed, by stream partition this worker owns (changelogs excluded)",
            ["topic", "partition"],
            registry=self.registry,
        )
        self._lag_labels: set[tuple[str, str]] = set()
        # When a batch last started or ended (time.monotonic), read by the progress watchdog from the web
        # server's thread: a float is replaced whole, never seen half written.
        self.batch_moved = float("-inf")

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds.labels(stage).observe(time.perf_counter() - started)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Mark one batch's start and, if it succeeds, its end (see `streams/worker/watchdog.py`)."""
        self.batch_moved = time.monotonic()
        yield
        self.batch_moved = time.monotonic()

    def set_lag(self, lag: Mapping[tuple[str, int], int]) -> None:
        """Publish `lag` as the whole gauge: partitions no longer in it (revoked) lose their labels."""
        labels = {(topic, str(partition)) for topic, partition in lag}
        for gone in self._lag_labels - labels:
            self.lag.remove(*gone)
        for (topic, partition), value in lag.items():
            self.lag.labels(topic, str(partition)).set(value)
        self._lag_labels = labels

    def render(self, app: AppT) -> bytes:
        monitor: Any = app.monitor
        self.set_lag(
            stream_lag(
                owned_stream_partitions(app),
                getattr(monitor, "tp_end_offsets", None) or {},
                getattr(monitor, "tp_committed_offsets", None) or {},
            )
        )
        return generate_latest(self.registry)


def owned_stream_partitions(app: AppT) -> set[TP]:
    """The partitions this worker consumes as streams now: its assignment without table changelogs
    (a changelog is read whole at recovery and by standbys, never committed: its "lag" is its size)."""
    consumer = getattr(app, "_consumer", None)  # not built yet: nothing owned (see is_ready)
    if consumer is None:
        return set()
    changelogs = set(app.tables.changelog_topics)
    return {tp for tp in consumer.assignment() if tp.topic not in changelogs}


def stream_lag(
    owned: set[TP], end: Mapping[TP, int], committed: Mapping[TP, int]
) -> dict[tuple[str, int], int]:
    """Messages past the committed offset of each owned partition whose end offset is known."""
    return {(tp.topic, tp.partition): max(0, end[tp] - committed.get(tp, 0)) for tp in owned if tp in end}


def dead_agents(app: AppT) -> list[str]:
    """Agents with no running actor: the worker is no longer doing their work.

    Faust's supervisor replaces a crashed actor with a new one and keeps the crashed one in the agent's
    actor set, so a crashed actor beside a running replacement is a recovered agent, not a dead one.
    """
    dead = []
    for name, agent in app.agents.items():
        actors = getattr(agent, "_actors", None) or []
        if not any(not actor.crashed and not actor.should_stop for actor in actors):
            dead.append(name)
    return dead


def is_ready(app: AppT, checks: Sequence[Callable[[], str | None]] = ()) -> tuple[bool, str]:
    """Ready when partitions are assigned, table recovery is done, no rebalance is under way and each of
    `checks` (the worker's own start-up: models loaded, known people read) returns None, not a reason."""
    # This runs on the web server's thread. Faust builds its consumer and table recovery lazily, bound to
    # the event loop of whichever thread asks first: asking for them here before the worker has made them
    # would bind them to this thread's loop and crash the worker's start. Until they exist: "starting".
    recovery = getattr(app.tables, "_recovery", None)
    consumer = getattr(app, "_consumer", None)
    if recovery is None or consumer is None:
        return False, "starting"
    if app.rebalancing:
        return False, "rebalancing"
    if not recovery.completed.is_set():
        return False, "recovering tables"
    if not consumer.assignment():
        return False, "no partitions assigned"
    for check in checks:
        if (reason := check()) is not None:
            return False, reason
    return True, "ready"


def register(
    app: faust.App,
    metrics: Metrics,
    checks: Sequence[Callable[[], str | None]] = (),
    liveness: Sequence[Callable[[], str | None]] = (),
    *,
    token: str = "",
) -> None:
    """Add /health/live, /health/ready and /metrics to the worker's web server (see `is_ready` for
    `checks`; `liveness` checks, such as the progress watchdog's, return why the worker is not live or
    None; either sequence may still be filled after this call). With a `token`, /metrics answers only
    requests bearing it; the health pages stay open for probes, which carry no secret (and they say
    nothing a passer-by could use)."""

    @app.page("/health/live")
    class Live(View):
        async def get(self, request: Request) -> Response:
            dead = dead_agents(self.app)
            reasons = [reason for check in liveness if (reason := check()) is not None]
            live = not dead and not reasons
            return self.json(
                {"live": live, "dead_agents": dead, "reasons": reasons}, status=200 if live else 503
            )

    @app.page("/health/ready")
    class Ready(View):
        async def get(self, request: Request) -> Response:
            ready, why = is_ready(self.app, checks)
            return self.json({"ready": ready, "state": why}, status=200 if ready else 503)

    @app.page("/metrics")
    class Prometheus(View):
        async def get(self, request: Request) -> Response:
            if token and not bearer_ok(request.headers, request.query, token):
                return self.json(
                    {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"}
                )
            body = metrics.render(self.app)
            return self.bytes(body, content_type=CONTENT_TYPE_LATEST.split(";")[0])
