"""`newsstreams bench`'s broker phase on the suite's broker: a worker drains a small corpus, measured."""

from __future__ import annotations

import os

import pytest

from streams.settings import Settings
from streams.tools import bench
from tests.integration.conftest import ROOT, Broker

pytestmark = [pytest.mark.kafka]


def test_throughput_run_drains_the_corpus_and_accounts_for_the_cpu(kafka: Broker) -> None:
    settings = Settings(broker=f"kafka://{kafka.bootstrap}", batch_size=4)
    messages = bench.load_corpus(ROOT / "samples" / "feed.jsonl", 6)
    cleaned = bench.clean_all(messages, settings)
    # The broker is not this process's child: its CPU is not measured (pid None).
    result = bench.throughput_run(bench.Broker(settings, None), messages, len(cleaned), workers=1)

    assert result["articles"] == len(cleaned) > 0
    assert result["articles_per_s"] > 0
    cpu = result["cpu_ms_per_article"]
    # Every article was parsed in the NLP thread, and the event loop did the Kafka work around it.
    assert cpu["worker_nlp_threads"] > 0
    assert cpu["worker_rest"] > 0
    assert cpu["broker"] is None
    assert set(result["stage_seconds"]) >= {"intake", "clean", "enrich"}
    assert all(0 < mb < 4096 for mb in result["peak_rss_mb"])
    # Per worker, its process tree's proportional set size: of the order of its resident size.
    pairs = zip(result["peak_rss_mb"], result["peak_tree_pss_mb"], strict=True)
    assert all(0.5 * rss < pss < 4096 for rss, pss in pairs)


def test_cpu_seconds_reads_this_process() -> None:
    before = bench.cpu_seconds(os.getpid())
    sum(i * i for i in range(2_000_000))
    assert bench.cpu_seconds(os.getpid()) > before


def test_latency_run_times_the_events_of_every_article(kafka: Broker) -> None:
    settings = Settings(broker=f"kafka://{kafka.bootstrap}", batch_size=4)
    messages = bench.load_corpus(ROOT / "samples" / "feed.jsonl", 5)
    # One article a second: the first articles' events arrive while the later ones are still being sent.
    result = bench.latency_run(settings, messages, len(messages), rate=1.0)

    assert result["articles_measured"] == result["articles"] == 5
    assert result["events"] >= 5
    assert len(result["peak_tree_pss_mb"]) == 1
    assert 0 < result["p50_s"] <= result["p99_s"] <= result["max_s"]
