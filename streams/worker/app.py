"""The worker: the Faust app as a list of features, each adding its tables and agents with `register`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import faust
from faust.worker import Worker
from mode.utils.times import want_seconds

from streams.cleaning import agents as cleaning
from streams.cleaning.stage import warm_up as warm_up_cleaning
from streams.enrichment import agents as enrichment
from streams.events import flow
from streams.exposure import check_bind
from streams.kafka.clients import faust_credentials
from streams.kills import agents as kills
from streams.settings import Settings
from streams.trending import windows as trending
from streams.worker import health, watchdog
from streams.worker.delivery import Delivery
from streams.worker.fetching import fetch_in_bulk
from streams.worker.rebalance import SafeTableManager, install_guards

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> faust.App:
    """Build the worker app for `settings`: every feature of the flow registers its tables and agents."""
    app = faust_app(settings)
    install_guards()
    fetch_in_bulk(app, settings)
    topics = flow.declare(app, settings)
    delivery = Delivery(topics, settings)
    health.register(app, delivery.metrics, delivery.readiness, delivery.liveness, token=settings.web_token)
    # Fails liveness when the worker's partitions have lag and nothing moves (issue 24).
    watchdog.register(app, delivery.metrics, delivery.liveness, settings.stall_seconds)

    # raw ──intake──► raw.by-source ──clean──► syndication hops ──► gate (kills from intake too)
    cleaning.register(app, topics, settings, delivery)
    # gate ──► clean (or a kill's record and tombstone)
    kills.register(app, topics, settings, delivery)
    # clean ──enrich──► enriched, entities, quotes, topics, people learned (retractions for kills, corrections)
    enrichment.register(app, topics, settings, delivery)
    # entities, topics ──trending──► trending
    trending.register(app, topics, settings, delivery)

    app.conf.newsstreams_topics = topics
    return app


def faust_app(settings: Settings) -> faust.App:
    """The Faust app with this project's settings: stores, producer limits, web server, rebalance guards."""
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    return faust.App(
        settings.app_id,
        broker=settings.broker,
        broker_credentials=faust_credentials(settings),
        store=settings.store,
        datadir=str(data_dir),
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        processing_guarantee=settings.processing_guarantee,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=True,
        # Faust's own views would show table contents (/table/…), key routing (/router/) and internals to
        # anyone who reaches the port; the worker serves health and metrics only.
        web_tables_enabled=False,
        web_router_enabled=False,
        web_stats_enabled=False,
        web_graph_enabled=False,
        producer_acks=-1,
        producer_linger=settings.producer_linger,
        # Faust's 1 MB defaults are below what intake accepts: a larger article's events could not be
        # sent, crashing the agent, and the supervisor's restart skipped the article without a trace.
        producer_max_request_size=settings.max_message_bytes,
        consumer_max_fetch_size=settings.max_message_bytes,
        autodiscover=False,
        table_cleanup_interval=60.0,
        # Seeks stream partitions before resuming them after a rebalance (streams/worker/rebalance.py).
        TableManager=SafeTableManager,
    )


def internal_topics(settings: Settings) -> tuple[str, ...]:
    """The topics the worker's Faust app makes for itself: each table's changelog and the repartition
    topics its agents read. They are partitioned like the flow's topics and must grow with them."""
    return tuple(faust_topics(create_app(settings), settings))


def faust_topics(app: faust.App, settings: Settings) -> dict[str, tuple[int, dict[str, str]]]:
    """`app`'s own topics as Faust would declare them: name → (partitions, configuration), the cleanup
    policy and retention made from the topic's flags as Faust's aiokafka transport makes them."""
    declared = {settings.topic(spec.name) for spec in flow.FLOW}
    topics = [table.changelog_topic for table in app.tables.values()]
    topics += [agent.channel for agent in app.agents.values()]
    out: dict[str, tuple[int, dict[str, str]]] = {}
    for topic in topics:
        policy = ",".join(
            sorted({"compact"} if topic.compacting else set()) + (["delete"] if topic.deleting else [])
        )
        config = {"cleanup.policy": policy} if policy else {}
        if topic.retention:
            config["retention.ms"] = str(int(want_seconds(topic.retention) * 1000))
        config.update({k: str(v) for k, v in (topic.config or {}).items()})
        for name in topic.topics:
            if name not in declared:
                out[name] = (topic.partitions or settings.partitions, config)
    return dict(sorted(out.items()))


def exit_after(seconds: float, reason: str) -> threading.Thread:
    """A daemon thread that ends this process `seconds` from now if it is still running: a stop that hangs
    (a broker that is gone: aiokafka retries the last commits and metadata, the event loop never empties)
    must not outlive its deadline. Exit status 1; nothing a clean stop would commit is lost, only redone."""

    def deadline() -> None:
        time.sleep(seconds)
        log.error("still stopping %.0f s after %s: exiting without a clean stop", seconds, reason)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(1)

    thread = threading.Thread(target=deadline, name="stop-deadline", daemon=True)
    thread.start()
    return thread


class ServiceWorker(Worker):
    """Faust's worker without its terminal spinner.

    At log levels of WARNING and above, the spinner set the root logger to DEBUG so that it spun on every
    record: each debug call of faust and aiokafka (several per Kafka message) then built a record that no
    handler kept. A service has no terminal to spin in.
    """

    #: Seconds a stop may take before the process exits anyway (`NEWSSTREAMS_STOP_SECONDS`; 0 = no limit).
    stop_seconds: float = 0.0

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        self.spinner = None

    def _schedule_shutdown(self, signal: signal.Signals) -> None:
        # The first stop signal starts the clean stop (mode's) and its deadline; later ones change nothing.
        if not self._signal_stop_time and self.stop_seconds > 0:
            exit_after(self.stop_seconds, signal.name)
        super()._schedule_shutdown(signal)


def run_worker(settings: Settings, *, loglevel: str | None = None) -> None:
    """Run the Faust worker in this process until it is stopped (SIGINT/SIGTERM)."""
    from streams.kafka.admin import apply, declare_missing

    # Before anything touches Kafka: a worker that would serve its metrics to the network without a
    # real token does not start at all.
    check_bind("the worker's web server", settings.web_host, settings.web_token, "NEWSSTREAMS_WEB_TOKEN")
    # Source topics must exist before the consumer subscribes, or the first assignment misses them
    # until the next metadata refresh (minutes). Declaring them also sets their configs; it never grows an
    # existing topic's partitions (it logs the command that does: `topics repartition --force`).
    # And so must the worker's own topics, which Faust would declare only while subscribing
    # (`declare_missing`).
    own = faust_topics(create_app(settings), settings)
    for change in asyncio.run(apply(settings)) + asyncio.run(declare_missing(settings, own)):
        log.info("topic %s %s (%s)", change.topic, change.action, change.detail)
    # What the clean stage loads on first use is loaded now, not while the first backlog waits.
    warm_up_cleaning(settings)
    app = create_app(settings)
    worker = ServiceWorker(app, loglevel=loglevel or settings.log_level, quiet=True)
    worker.stop_seconds = settings.stop_seconds
    worker.execute_from_commandline()
