"""The stages chained over plain values: what the agents run per message and `process` runs per file."""

from __future__ import annotations

import hashlib
import time
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from streams.cleaning.boilerplate import ArticleVersions, LearnedBoilerplate, Syndication
from streams.cleaning.clean import clean
from streams.cleaning.expiry import Expiring, StateExpiry, event_time
from streams.cleaning.raw import parse_raw
from streams.cleaning.sightings import FirstSightings
from streams.cleaning.syndication import SyndicationIndex, first_hop, resolve
from streams.events.flow import Outgoing
from streams.events.records import CleanArticle, RawArticle, event_id
from streams.kills.gate import WITHHELD, Kills, admit, is_kill, kill_input
from streams.settings import Settings


@dataclass
class State:
    """Stage memory. The worker passes Faust tables (changelogged); `process` passes plain dicts."""

    versions: MutableMapping[str, Any] = field(default_factory=dict)
    learned: MutableMapping[str, Any] = field(default_factory=dict)
    syndication: MutableMapping[str, Any] = field(default_factory=dict)
    people: Any = None  # `process`: its KnownPeople (streams.enrichment.people), made on first use
    # First sightings of paragraphs, kept out of `learned` (in memory: a restart forgets them, and each
    # such line is then learned one article later, never earlier).
    sightings: FirstSightings = field(default_factory=FirstSightings)
    # `process`: the band index over `syndication`, built on first use (the worker's lives in its agent).
    syndication_index: SyndicationIndex | None = None
    # The watermarks and sweeps of `versions` and `learned`, built on first use (`state_expiry`).
    expiry: StateExpiry | None = None
    # `process` and `replay`: the kill gate's kills, and what each article's latest version published.
    kills: Kills = field(default_factory=dict)
    published: MutableMapping[str, Any] = field(default_factory=dict)
    # `process`: the arrival clock of its messages (seconds, strictly increasing), the gate's order.
    clock: float = 0.0

    def tick(self, at: float | None = None) -> float:
        self.clock = max(time.time() if at is None else at, self.clock + 1e-6)
        return self.clock


def state_expiry(state: State, settings: Settings) -> StateExpiry:
    """The expiry of the state's versions and learned boilerplate, `settings.state_days` after event time."""
    if state.expiry is None:
        tables = [
            Expiring(state.versions, ArticleVersions.stamp),
            # A learned line's time is refreshed at most once a REFRESH: keep it that much longer.
            Expiring(state.learned, LearnedBoilerplate.stamp, slack=LearnedBoilerplate.REFRESH),
        ]
        state.expiry = StateExpiry(tables, settings.state_days)
    return state.expiry


def intake(value: bytes, settings: Settings) -> RawArticle:
    """Validate a raw message (raises Rejected); the agent then re-keys it by source."""
    return parse_raw(value, max_body_bytes=settings.max_body_bytes)


def raw_hash(raw: RawArticle) -> str:
    """What makes a revision new: the feed's own text, before any learned rule changes the clean output."""
    return hashlib.sha256(f"{raw.headline or ''}\x1f{raw.body}".encode()).hexdigest()


def clean_stage(
    raw: RawArticle, settings: Settings, state: State, origin: str | None = None, seen: float | None = None
) -> list[Outgoing]:
    """Raw article to its clean event, the syndication hops and the kill gate passed here over `state`
    (`process`, one dict for every partition); nothing when this id came with this content before, or a
    kill stands. A raw kill yields the kill's record and tombstone."""
    outputs = clean_hop(raw, settings, state, origin, state.tick(seen))
    if state.syndication_index is None:
        state.syndication_index = SyndicationIndex(state.syndication, settings.syndication_days)
    gated = [resolve(state.syndication_index, out, settings.partitions) for out in outputs]
    return [sent for out in gated for sent in admit(state.kills, out.event)]  # type: ignore[arg-type]


def clean_hop(
    raw: RawArticle, settings: Settings, state: State, origin: str | None, seen: float, partition: int = 0
) -> list[Outgoing]:
    """Raw article to its clean event on its way through syndication (the worker's clean agent); nothing
    when this id came with this content before (raises Rejected).

    `origin` identifies the input message (e.g. "partition:offset"), so a redelivery after a crash is
    processed again rather than dropped as a repeat. `seen` is when the message reached Kafka (seconds):
    of near-copies, the one whose id was seen first is the original. `partition` is the input partition
    whose watermark ages this state (`process`: 0, one for all).
    """
    expiry = state_expiry(state, settings)
    if not expiry.loaded(partition):
        expiry.load(partition)
    limit = expiry.limit(partition)
    if is_kill(raw):
        if (raw.pubstatus or "").lower() == WITHHELD:
            # The feed lifts a withhold by sending the article again: then it is new, whatever its content.
            ArticleVersions(state.versions, partition, limit).withhold(raw.id)
        return [kill_input(raw, seen, settings.pipeline_version)]
    learned = LearnedBoilerplate(
        state.learned,
        settings.boilerplate_threshold,
        partition,
        limit - LearnedBoilerplate.REFRESH,
        first=state.sightings,
    )
    article: CleanArticle = clean(
        raw,
        pipeline_version=settings.pipeline_version,
        is_learned=learned.checker(raw.source),
        max_paragraphs=settings.max_paragraphs,
    )
    published = article.published_at.timestamp() if article.published_at else None
    time = event_time(published, seen)
    versions = ArticleVersions(state.versions, partition, limit)
    version = versions.decide(raw.id, raw_hash(raw), origin, seen=seen, time=time)
    if version is None:
        return []
    # Only articles taken as new move the watermark: it is then the newest time in the tables, which is
    # what `load` finds again after a restart.
    expiry.advance(partition, time)
    # Learn after cleaning: a paragraph becomes boilerplate for the articles that come *after* the
    # threshold-th one. Paragraphs already removed as learned keep being counted.
    learned.limit = expiry.limit(partition) - LearnedBoilerplate.REFRESH
    learned.observe(
        raw.source,
        raw.id,
        [*article.paragraphs, *(r.text for r in article.removed if r.reason == "learned")],
        time,
    )
    article = article.derive(
        version=version, event_id=event_id(raw.id, version, settings.pipeline_version, "clean")
    )
    first = versions.first_seen(raw.id)
    signature = Syndication({}).signature(article.paragraphs)
    hop_time = seen if published is None else published  # syndication ages its entries on its own
    first_time = seen if first is None else first
    return [first_hop(article, signature, first_time, hop_time, settings.partitions, received=seen)]


# A made-up page in the shape feeds send, for `warm_up`: enough prose for language detection and MinHash.
_WARM_UP_PAGE = (
    "<html><head><title>Harbour bridge reopens after repairs</title></head><body><article>"
    "<h1>Harbour bridge reopens after repairs</h1>"
    "<p>The harbour bridge reopened to traffic on Monday morning after three months of repairs to its "
    "steel deck, the city council said in a statement.</p>"
    "<p>Engineers replaced the worn expansion joints and repainted the towers, and the work finished a week "
    "ahead of the schedule the council had published in the spring.</p>"
    "</article></body></html>"
)


def warm_up(settings: Settings) -> None:
    """Clean one made-up article with throwaway state: what the stage loads on first use (the language
    model above all, 0.14 s measured) is loaded before the worker takes its first message, not in it."""
    raw = {"id": "warm-up", "source": "warm-up", "content_type": "text/html", "body": _WARM_UP_PAGE}
    clean_stage(intake(orjson.dumps(raw), settings), settings, State())
