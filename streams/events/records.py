"""Typed events of every topic (Faust Records), their orjson codec and CloudEvents envelope."""

import hashlib
from datetime import UTC, datetime
from typing import Any

import faust
import orjson
from faust.serializers import codecs

SCHEMA_VERSION = "1"
# Trending 2: trailing windows ("1m", "1h") of distinct articles, keyed by key + family + start.
TRENDING_SCHEMA_VERSION = "2"
# Enriched 2: a ninjs 2.2 document (IPTC's extension form) instead of a ninjs-shaped one.
ENRICHED_SCHEMA_VERSION = "2"
# Events 2 (entity, quote, topic): ids derived from the article and what the event says, not the version, so
# a correction re-sends nothing both versions say; a Retraction on the same topic and key withdraws one.
EVENT_SCHEMA_VERSION = "2"
CE_SPECVERSION = "1.0"
CE_SOURCE = "urn:newsstreams"


def _default(obj: Any) -> Any:
    # Nested Records (a Byline inside a CleanArticle) serialise as their plain fields.
    if isinstance(obj, faust.Record):
        return obj.to_representation()
    raise TypeError(f"cannot serialise {type(obj).__name__} as JSON")


def dumps(obj: Any) -> bytes:
    """orjson with nested Records and non-string keys: the one JSON encoder of the project."""
    return orjson.dumps(obj, default=_default, option=orjson.OPT_NON_STR_KEYS)


class OrjsonCodec(codecs.Codec):
    """JSON through orjson: fast, UTF-8 bytes, datetimes as ISO 8601 with their offset."""

    def _dumps(self, obj: Any) -> bytes:
        return dumps(obj)

    def _loads(self, s: bytes) -> Any:
        return orjson.loads(s)


codecs.register("orjson", OrjsonCodec())


class Event(
    faust.Record,
    abstract=True,
    serializer="orjson",
    include_metadata=False,
    isodates=True,
    coerce=True,
):
    """Base of every published event: plain JSON without Faust's metadata."""

    ce_type = ""


class RawArticle(Event):
    """news.articles.raw: an article as a feed publishes it (the input contract)."""

    id: str
    source: str
    content_type: str
    body: str
    url: str | None = None
    headline: str | None = None
    byline: str | None = None
    published_at: str | None = None
    language: str | None = None
    version: int | None = None
    # ninjs pubstatus: "usable" (default), or "withheld"/"canceled" to withdraw the article (a kill).
    pubstatus: str | None = None


class Kill(Event):
    """news.articles.kills: a feed withdrew an article (ninjs pubstatus canceled or withheld, or a tombstone
    on news.articles.raw). Compacted by article id and kept for good: every replay honours it."""

    ce_type = "news.article.kill"

    event_id: str
    article_id: str
    status: str  # canceled | withheld
    killed_at: datetime  # when the kill reached Kafka (the raw message's time)
    source: str | None = None
    schema_version: str = SCHEMA_VERSION
    pipeline_version: str = ""


class Byline(Event):
    name: str
    role: str | None = None


class Removal(Event):
    text: str
    reason: str


class CleanArticle(Event):
    """news.articles.clean: boilerplate gone, metadata extracted, one version per revision."""

    ce_type = "news.article.clean"

    event_id: str
    article_id: str
    version: int
    source: str
    content_type: str
    content_hash: str
    paragraphs: list[str]
    url: str | None = None
    headline: str | None = None
    standfirst: str | None = None
    byline: list[Byline] = []
    published_at: datetime | None = None
    published_date: str | None = None
    published_precision: str | None = None
    modified_at: datetime | None = None
    language: str | None = None
    media_captions: list[str] = []
    removed: list[Removal] = []
    duplicate_of: str | None = None
    schema_version: str = SCHEMA_VERSION
    pipeline_version: str = ""


class SyndicationHop(Event):
    """news.articles.syndication (internal): a clean article on its way through the partitions that own its
    LSH bands, each checking its bands for an earlier near-copy before the article is published."""

    ce_type = "news.syndication.hop"

    event_id: str
    article: CleanArticle  # as published at the end, duplicate_of aside
    signature: list[int]  # MinHash of the body
    seen: float  # when the article id was first seen (seconds): earlier articles are its candidates
    time: float  # event time (published_at, else seen): what state expiry is measured on
    route: list[int]  # partitions still to visit, this one first
    candidate: str | None = None  # the earliest-seen similar article found so far
    candidate_seen: float | None = None
    received: float = 0.0  # when this version's raw message reached Kafka (seconds), for the kill gate
    schema_version: str = SCHEMA_VERSION
    pipeline_version: str = ""


class GateInput(Event):
    """news.articles.gate (internal): what reaches an article's partition by article id, in order: a clean
    version at the end of its syndication hops, or a kill from intake. The gate publishes the version on
    news.articles.clean unless a kill stands, and turns a kill into tombstones and retractions."""

    ce_type = "news.gate"

    event_id: str  # the version's or the kill's own id, with "gate"
    article: CleanArticle | None = None
    kill: Kill | None = None
    received: float = (
        0.0  # when this version's raw message reached Kafka (seconds): a withhold lifts for a later one
    )


def gate_input(
    *, article: CleanArticle | None = None, kill: Kill | None = None, received: float
) -> GateInput:
    """A version or a kill on its way to the gate, named after it."""
    about = article.event_id if article is not None else (kill.event_id if kill is not None else "")
    return GateInput(event_id=event_id(about, "gate"), article=article, kill=kill, received=received)


class Mention(Event):
    text: str
    section: str
    paragraph: int
    start: int
    end: int


class EntityEvent(Event):
    """news.entities: one canonical entity of one article, with its mentions."""

    ce_type = "news.entity"

    event_id: str
    article_id: str
    entity_id: str
    name: str
    type: str
    mentions: list[Mention]
    salience: float
    source: str
    roles: list[str] = []
    version: int | None = None  # the article's version
    published_at: datetime | None = None
    schema_version: str = EVENT_SCHEMA_VERSION
    pipeline_version: str = ""


class Speaker(Event):
    entity_id: str
    name: str


class QuoteEvent(Event):
    """news.quotes: one direct quotation with its canonical speaker (or none)."""

    ce_type = "news.quote"

    event_id: str
    article_id: str
    text: str
    kind: str
    section: str
    paragraph: int
    start: int
    end: int
    source: str
    speaker: Speaker | None = None
    cue: str | None = None
    addressee: Speaker | None = None
    version: int | None = None  # the article's version
    published_at: datetime | None = None
    schema_version: str = EVENT_SCHEMA_VERSION
    pipeline_version: str = ""


class TopicEvent(Event):
    """news.topics: one IPTC Media Topic assigned to one article."""

    ce_type = "news.topic"

    event_id: str
    article_id: str
    topic: str
    label: str
    score: float
    rank: int
    source: str
    version: int | None = None  # the article's version
    published_at: datetime | None = None
    schema_version: str = EVENT_SCHEMA_VERSION
    pipeline_version: str = ""


class Retraction(Event):
    """news.entities, news.quotes, news.topics: withdraws one event published before, on that event's own
    topic and key, so a consumer of one topic can apply it: drop the event whose `event_id` is `retracts`."""

    ce_type = "news.retraction"

    event_id: str
    retracts: str  # the event_id withdrawn
    article_id: str
    kind: str  # entity | quote | topic: what the withdrawn event was
    reason: str  # canceled | withheld (a kill) | corrected (a new version no longer says it)
    version: int | None = None  # corrected: the version that no longer says it
    entity_id: str | None = None  # kind entity: the withdrawn event's entity (its Kafka key)
    topic: str | None = None  # kind topic: the withdrawn event's IPTC code
    retracted_at: datetime | None = None
    schema_version: str = EVENT_SCHEMA_VERSION
    pipeline_version: str = ""


class EnrichedArticle(Event):
    """news.articles.enriched: an IPTC ninjs 2.2 document in its extension form (the ninjs fields the ninjs
    way, then the project's own root properties); ninjs has no null, so a field that is None is left out."""

    ce_type = "news.article.enriched"

    # ninjs 2.2
    uri: str
    type: str
    version: str
    headlines: list[dict[str, str]]
    bodies: list[dict[str, Any]]
    people: list[dict[str, str]]
    organisations: list[dict[str, str]]
    places: list[dict[str, str]]
    subjects: list[dict[str, Any]]
    # newsstreams' extension (schemas/enriched-article.schema.json)
    event_id: str
    article_id: str
    source: str
    entities: list[dict[str, Any]]
    quotes: list[dict[str, Any]]
    keyphrases: list[str]
    by: str | None = None
    firstcreated: datetime | None = None
    versioncreated: datetime | None = None
    language: str | None = None
    skipped: list[dict[str, str]] = []
    schema_version: str = ENRICHED_SCHEMA_VERSION
    pipeline_version: str = ""

    def to_representation(self) -> dict[str, Any]:
        # ninjs types its optional fields without null: an unknown value is an absent one.
        return {k: v for k, v in super().to_representation().items() if v is not None}


class TrendingCount(Event):
    """news.entities.trending: distinct articles naming one key (entity or topic) in one event-time window."""

    ce_type = "news.trending"

    event_id: str
    key: str
    kind: str
    name: str
    window: str
    window_start: datetime
    window_end: datetime
    count: int
    previous_count: int
    rising: float
    schema_version: str = TRENDING_SCHEMA_VERSION
    pipeline_version: str = ""


class PeopleLearned(Event):
    """news.people.learned: one person an article named in full (key `source|person`), for every enrich
    worker's memory of its source's people (`people`: lower-case surname → full name)."""

    ce_type = "news.people.learned"

    event_id: str
    source: str
    article_id: str
    version: int
    people: dict[str, str]
    published_at: datetime | None = None
    # The articles known to have named this person (this one included, at most 8), and killed articles
    # that no longer do: a person no article teaches any more is forgotten (a tombstone for the key).
    taught_by: list[str] = []
    withdrawn: list[str] = []
    schema_version: str = SCHEMA_VERSION
    pipeline_version: str = ""


class DeadLetter(Event):
    """news.deadletter: an input a stage refused, with the reason and the original bytes."""

    ce_type = "news.deadletter"

    event_id: str
    stage: str
    reason: str
    detail: str
    original_topic: str
    original_value: str
    failed_at: datetime
    original_key: str | None = None
    original_encoding: str = "utf-8"
    schema_version: str = SCHEMA_VERSION
    pipeline_version: str = ""


def event_id(*parts: object) -> str:
    """Deterministic id from article id, version, pipeline version and the event's discriminator.

    A replay of the same input through the same pipeline yields the same ids, so consumers can
    de-duplicate on `ce_id`.
    """
    digest = hashlib.sha256()
    for part in parts:
        digest.update(
            part if isinstance(part, bytes) else ("" if part is None else str(part)).encode("utf-8")
        )
        digest.update(b"\x1f")
    return digest.hexdigest()[:32]


def cloudevent_headers(event: Event, *, subject: str | None = None) -> dict[str, bytes]:
    """CloudEvents binary-mode Kafka headers for `event` (its `event_id` is the `ce_id`)."""
    # The event's own time, so a replay yields the same headers; the send time only when it has none.
    when = (
        getattr(event, "published_at", None)
        or getattr(event, "firstcreated", None)
        or getattr(event, "failed_at", None)
        or getattr(event, "retracted_at", None)
        or getattr(event, "killed_at", None)
        or getattr(event, "window_end", None)
        or datetime.now(UTC)
    )
    headers = {
        "ce_specversion": CE_SPECVERSION,
        "ce_id": event.event_id,
        "ce_type": event.ce_type,
        "ce_source": CE_SOURCE,
        "ce_time": when.isoformat(),
        "content-type": "application/json",
    }
    if subject:
        headers["ce_subject"] = subject
    if isinstance(event, Kill):
        # A kill's tombstones carry no value: what kind of kill it was travels as an extension attribute.
        headers["ce_killstatus"] = event.status
    return {k: v.encode("utf-8") for k, v in headers.items()}


def to_json(event: Event) -> bytes:
    """The wire form of an event (the same bytes the worker publishes)."""
    return dumps(event.to_representation())
