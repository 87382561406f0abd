"""Every topic of the pipeline, in flow order, with the shape that travels on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust

from streams.events import records
from streams.settings import Settings

DAY_MS = 24 * 3600 * 1000
# retention.ms of a topic that keeps every record (compacted: the latest record of every key) for good.
FOREVER = -1


@dataclass(frozen=True)
class TopicSpec:
    """One topic of the design: its name, key, value and how Kafka keeps it."""

    name: str
    key: str  # what the message key is
    value: type[Any] | None  # Record type; None = raw bytes, validated by the stage that reads it
    description: str
    compacted: bool = False  # latest value per key is what matters
    retention_ms: int = (
        7 * DAY_MS
    )  # FOREVER, or how long a record is kept (compact,delete: even a key's last)
    internal: bool = False  # between stages only; not a public contract
    expires: bool = False  # compacted and deleted: a key's last record goes too after retention_ms
    tombstones: bool = False  # a null value removes a key (a killed article): read and sent as raw bytes

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Pickled by name (results come back from the NLP child process): the stages compare specs with
        # `is`, so an unpickled spec must be the module's own object.
        return (spec_named, (self.name,))

    def __post_init__(self) -> None:
        # Kafka ignores retention.ms under `compact` alone: a compacted topic that keeps its keys says
        # FOREVER, and one whose old keys should go is `compact,delete` (expires) with a real retention.
        if self.expires and not self.compacted:
            raise ValueError(f"{self.name}: only a compacted topic can expire its keys")
        if (self.retention_ms == FOREVER) != (self.compacted and not self.expires):
            raise ValueError(f"{self.name}: FOREVER is the retention of compacted topics that never expire")
        if self.retention_ms != FOREVER and self.retention_ms <= 0:
            raise ValueError(f"{self.name}: retention_ms must be positive or FOREVER")

    @property
    def cleanup_policy(self) -> str:
        if self.compacted:
            return "compact,delete" if self.expires else "compact"
        return "delete"


#   feeds ──► news.articles.raw                   key: article id   value: raw JSON bytes (RawArticle or ninjs)
RAW = TopicSpec(
    "news.articles.raw",
    "article id",
    None,
    "Raw articles from feeds and `newsstreams ingest`; kept long so it can be replayed.",
    retention_ms=30 * DAY_MS,
)
#   intake ──► news.articles.raw.by-source        key: source       value: the same raw bytes, re-keyed
# (so one source's articles meet one clean task and its learned-boilerplate table; kept as long as the raw
# topic, so a clean stage that is down loses nothing the raw topic still has)
RAW_BY_SOURCE = TopicSpec(
    "news.articles.raw.by-source",
    "source",
    None,
    "Raw articles re-keyed by source for the clean stage's per-source state.",
    retention_ms=RAW.retention_ms,
    internal=True,
)
#   clean ──► news.articles.syndication           key: band key     value: SyndicationHop
# (the clean article and its MinHash signature, sent to each partition that owns some of its LSH bands in
# turn, each checking them for an earlier near-copy; any source's copy meets the original there)
SYNDICATION = TopicSpec(
    "news.articles.syndication",
    "band key",
    records.SyndicationHop,
    "Clean articles on their way through the partitions that own their LSH bands (near-copy check).",
    retention_ms=RAW.retention_ms,
    internal=True,
)
#   syndication ──► news.articles.gate            key: article id   value: GateInput (a clean version)
#   intake      ──► news.articles.gate                                value: GateInput (a kill)
# (an article's versions and kills meet, in order, in its article-id partition; the gate keeps its kills)
GATE = TopicSpec(
    "news.articles.gate",
    "article id",
    records.GateInput,
    "Clean versions after syndication and kills from intake, keyed by article id, for the kill gate.",
    retention_ms=RAW.retention_ms,
    internal=True,
)
#   gate ──► news.articles.kills                  key: article id   value: Kill
# (every withdrawal, kept for good: the worker, `process` and every replay honour it)
KILLS = TopicSpec(
    "news.articles.kills",
    "article id",
    records.Kill,
    "Articles withdrawn by their feed (canceled or withheld), one record per article, kept for good.",
    compacted=True,
    retention_ms=FOREVER,
)
#   gate ──► news.articles.clean                  key: article id   value: CleanArticle (a tombstone: killed)
# (clean and enriched are the article store: the latest version of every article, kept for good, so a
# consumer that starts later reads every article once; removing one article needs a tombstone)
CLEAN = TopicSpec(
    "news.articles.clean",
    "article id",
    records.CleanArticle,
    "Boilerplate gone, metadata extracted, one version per revision.",
    compacted=True,
    retention_ms=FOREVER,
    tombstones=True,
)
#   enrich ──► news.articles.enriched             key: article id   value: EnrichedArticle (ninjs 2.2)
ENRICHED = TopicSpec(
    "news.articles.enriched",
    "article id",
    records.EnrichedArticle,
    "Clean article plus entities, quotes, topics and key phrases.",
    compacted=True,
    retention_ms=FOREVER,
    tombstones=True,
)
#          ├──► news.entities                     key: entity id    value: EntityEvent
ENTITIES = TopicSpec(
    "news.entities", "entity id", records.EntityEvent, "One event per (article, canonical entity)."
)
#          ├──► news.quotes                       key: article id   value: QuoteEvent
QUOTES = TopicSpec("news.quotes", "article id", records.QuoteEvent, "One event per direct quotation.")
#          └──► news.topics                       key: article id   value: TopicEvent
TOPICS = TopicSpec(
    "news.topics", "article id", records.TopicEvent, "One event per (article, IPTC Media Topic)."
)
#          └──► news.people.learned               key: source|person  value: PeopleLearned (one person)
# (every worker folds all of it into its memory of each source's people; articles spread over partitions.
# Compacted per person and kept for good: a new worker knows every person an old one knows)
PEOPLE_LEARNED = TopicSpec(
    "news.people.learned",
    "source|person",
    records.PeopleLearned,
    "The people articles named in full, one record per source and person, read whole by every enrich worker.",
    compacted=True,
    retention_ms=FOREVER,
    internal=True,
)
#   trending ──► news.entities.trending           key: key|family|start  value: TrendingCount
# (each window its own key, its last count kept by compaction; a day outlives any window plus grace)
TRENDING = TopicSpec(
    "news.entities.trending",
    "entity or topic id|window family|window start",
    records.TrendingCount,
    "Trailing minute and hour counts of distinct articles per entity and topic, for dashboards.",
    compacted=True,
    expires=True,
    retention_ms=DAY_MS,
)
#   any stage ──► news.deadletter                 key: original key value: DeadLetter
DEADLETTER = TopicSpec(
    "news.deadletter",
    "original key",
    records.DeadLetter,
    "Inputs a stage refused, with the reason and the original bytes.",
    retention_ms=30 * DAY_MS,
)

FLOW: tuple[TopicSpec, ...] = (
    RAW,
    RAW_BY_SOURCE,
    SYNDICATION,
    GATE,
    KILLS,
    CLEAN,
    ENRICHED,
    ENTITIES,
    QUOTES,
    TOPICS,
    PEOPLE_LEARNED,
    TRENDING,
    DEADLETTER,
)
PUBLIC: tuple[TopicSpec, ...] = tuple(t for t in FLOW if not t.internal)
DOWNSTREAM: tuple[TopicSpec, ...] = (ENRICHED, ENTITIES, QUOTES, TOPICS, TRENDING)


def spec_named(name: str) -> TopicSpec:
    """The design topic called `name` (how a pickled TopicSpec comes back)."""
    return next(t for t in FLOW if t.name == name)


def min_insync_replicas(replicas: int) -> int:
    """Writes with acks=all need this many replicas in sync: two where there are two, so one broker may
    be down without stopping writes on three, and never more than the topic has (writes would all fail)."""
    return max(1, min(2, replicas))


def topic_config(spec: TopicSpec, settings: Settings, *, replicas: int | None = None) -> dict[str, str]:
    """The Kafka configuration of one flow topic with `replicas` replicas (default: the configured ones).

    max.message.bytes is the producers' max_request_size (`Settings.max_message_bytes`): aiokafka refuses
    a record whose batch could exceed it, so whatever the worker may send, the topic accepts.
    """
    return {
        "cleanup.policy": spec.cleanup_policy,
        "retention.ms": str(spec.retention_ms),
        **internal_config(settings, replicas=replicas),
    }


def internal_config(settings: Settings, *, replicas: int | None = None) -> dict[str, str]:
    """What every topic gets, the worker's own Faust topics (changelogs, repartition topics) included."""
    return {
        "max.message.bytes": str(settings.max_message_bytes),
        "min.insync.replicas": str(
            min_insync_replicas(settings.replication if replicas is None else replicas)
        ),
    }


@dataclass(frozen=True)
class Outgoing:
    """One event a stage emits: the topic it goes to, its key and its value (and a partition when the stage
    routes it itself rather than by key)."""

    spec: TopicSpec
    key: str
    event: records.Event | None  # None: a tombstone for `key` on a compacted topic
    partition: int | None = None
    # A tombstone's reason (a Kill): its CloudEvents headers go with the tombstone, which has no value.
    cause: records.Event | None = None

    @property
    def headers(self) -> dict[str, bytes]:
        about = self.event if self.event is not None else self.cause
        return {} if about is None else records.cloudevent_headers(about)


@dataclass(frozen=True)
class Topics:
    """The Faust topic objects of one app, one attribute per TopicSpec."""

    raw: faust.TopicT
    raw_by_source: faust.TopicT
    syndication: faust.TopicT
    gate: faust.TopicT
    kills: faust.TopicT
    clean: faust.TopicT
    enriched: faust.TopicT
    entities: faust.TopicT
    quotes: faust.TopicT
    topics: faust.TopicT
    people_learned: faust.TopicT
    trending: faust.TopicT
    deadletter: faust.TopicT


def declare(app: faust.App, settings: Settings, *, suffix: str = "") -> Topics:
    """Declare every topic on `app`, with this environment's prefix (and an optional output suffix)."""

    def topic(spec: TopicSpec, *, output: bool = True) -> faust.TopicT:
        name = settings.topic(spec.name) + (suffix if output else "")
        # What `topics apply` sets (it runs first); Faust uses it only to create a topic still missing.
        config = topic_config(spec, settings)
        if spec.value is None or spec.tombstones:
            # Raw bytes, validated or decoded by the stage reading them. A topic with tombstones is bytes
            # too, because Faust refuses a null value for a Record type; a Record sent on it is still
            # serialised by its own codec.
            return app.topic(
                name,
                key_type=str if spec.tombstones else bytes,
                value_type=bytes,
                key_serializer="raw",
                value_serializer="raw",
                partitions=settings.partitions,
                config=config,
            )
        return app.topic(
            name,
            key_type=str,
            value_type=spec.value,
            key_serializer="raw",
            value_serializer="orjson",
            partitions=settings.partitions,
            config=config,
        )

    return Topics(
        raw=topic(RAW, output=False),
        raw_by_source=topic(RAW_BY_SOURCE),
        syndication=topic(SYNDICATION),
        gate=topic(GATE),
        kills=topic(KILLS),
        clean=topic(CLEAN),
        enriched=topic(ENRICHED),
        entities=topic(ENTITIES),
        quotes=topic(QUOTES),
        topics=topic(TOPICS),
        people_learned=topic(PEOPLE_LEARNED),
        trending=topic(TRENDING),
        deadletter=topic(DEADLETTER),
    )
