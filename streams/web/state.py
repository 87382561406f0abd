"""Dashboard state: the downstream events folded into bounded in-memory views, and the fan-out to browsers."""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from streams.events import flow, records
from streams.web.panels import Candidate, hour_panel, parse_time
from streams.web.views import Span, marked_paragraphs

# The page's three trending panels; places are both geopolitical entities and other locations.
GROUPS = {"people": ("PERSON",), "organisations": ("ORG",), "places": ("GPE", "LOC")}
# The type of a trending key the dashboard has no entity event for yet, from its id's family.
FAMILY_TYPES = {"person": "PERSON", "org": "ORG", "place": "GPE"}
SPANS = {"hour": 3600.0, "day": 86400.0}
MINUTES_KEPT = 60  # minute rows per key: the trailing hour's sparkline

Json = dict[str, Any]

# Items that take something off the page: every open stream gets them, whatever its filters, since the
# page drops only what it shows (so a narrowed view never keeps a withdrawn quote).
WITHDRAWALS = frozenset({"retraction", "removed"})


@dataclass(frozen=True)
class Item:
    """One pushed update: what a browser receives on /events, with what filters match it."""

    id: int
    kind: str  # quote | entity | topic | trending | article | retraction | removed
    source: str | None
    keys: frozenset[str]  # entity ids and casefolded names the entity filter matches
    data: Json

    def matches(self, source: str | None, entity: str | None) -> bool:
        if self.kind in WITHDRAWALS:
            return True
        if source and self.source != source:
            return False
        return not entity or entity.casefold() in self.keys

    def to_json(self) -> Json:
        return {"id": self.id, "kind": self.kind, **self.data}


@dataclass
class Article:
    """What the dashboard remembers of one article: its source and the entities and topics it carries."""

    source: str
    headline: str | None = None
    url: str | None = None
    entities: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, type)
    topics: dict[str, str] = field(default_factory=dict)  # medtop id -> label
    time: datetime | None = None  # event time (published_at), when its events carry one
    # For the article view: the body of the newest version, and its marks (entity mentions, quotations).
    version: int = 0
    language: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    spans_version: int = 0
    # What a Retraction names (the withdrawn event's id): event id -> entity id, and -> IPTC code. Every
    # event of a pair is kept, since a revision repeats the pair under a new id and either may be withdrawn.
    entity_events: dict[str, str] = field(default_factory=dict)
    topic_events: dict[str, str] = field(default_factory=dict)
    quote_spans: dict[str, Span] = field(default_factory=dict)  # quote event id -> its mark

    def mark(self, version: int, spans: Iterable[Span]) -> None:
        """Keep the marks of the newest version only: offsets of an older body would land elsewhere."""
        if version < self.spans_version:
            return
        if version > self.spans_version:
            self.spans, self.spans_version = [], version
        self.spans.extend(spans)

    # Entity ids and names the enriched article lists: for filtering only, counts come from news.entities.
    listed: frozenset[str] = frozenset()

    def match_keys(self) -> set[str]:
        named = {k for eid, (name, _) in self.entities.items() for k in (eid, name.casefold())}
        return named | self.listed


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    # Ties by key, so equal counts do not reshuffle between refreshes.
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def is_retraction(event: Json, ce_type: str | None) -> bool:
    """A withdrawal in either shape: its CloudEvents type header, or (read without headers) its `retracts`."""
    return ce_type == records.Retraction.ce_type or "retracts" in event


def _speaker(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, dict):
        return _text(value.get("entity_id")), _text(value.get("name"))
    return None, None


class DashboardState:
    """Bounded state of the dashboard, fed one decoded event at a time; no Kafka, no I/O, no event loop.

    Counts are over the articles still remembered (the newest `max_articles`), so "trending" means
    trending among recent articles and evicting an article takes its entities and topics off the counts.
    A replay of a topic yields the same event ids and the same (article, entity) pairs, so re-reading
    history never counts twice.
    """

    def __init__(
        self,
        *,
        max_quotes: int = 500,
        max_items: int = 2_000,
        max_articles: int = 5_000,
        max_trending: int = 5_000,
        max_seen: int = 50_000,
        max_sources: int = 1_000,
        first_id: int = 1,
    ) -> None:
        self.max_articles = max_articles
        self.max_trending = max_trending
        self.max_seen = max_seen
        self.max_sources = max_sources
        self.last_id = first_id - 1
        self.items: deque[Item] = deque(maxlen=max_items)
        self.quote_items: deque[Item] = deque(maxlen=max_quotes)
        self.articles: OrderedDict[str, Article] = OrderedDict()
        self.names: dict[str, tuple[str, str]] = {}  # entity id -> (name, type), of remembered articles
        self.entity_counts: dict[str | None, Counter[str]] = {None: Counter()}  # by source; None = all
        self.topic_counts: dict[str | None, Counter[str]] = {None: Counter()}
        self.labels: dict[str, str] = {}
        self.windows: OrderedDict[str, dict[str, Json]] = OrderedDict()  # key -> window name -> row
        self.minutes: dict[str, OrderedDict[str, int]] = {}  # key -> minute window start -> count
        self.sources: Counter[str] = Counter()  # articles seen per source
        self.seen: OrderedDict[str, None] = OrderedDict()  # event ids already applied, or withdrawn
        self.killed: OrderedDict[str, None] = (
            OrderedDict()
        )  # article ids tombstoned on news.articles.enriched
        self.applied: Counter[str] = Counter()
        self.withdrawn: Counter[str] = Counter()  # quote | entity | topic | article, taken off the views
        self.ignored = 0

    # ---- feeding -----------------------------------------------------------------------------

    def apply(self, topic: str, event: Json, *, ce_type: str | None = None) -> list[Item]:
        """Take one event of design topic `topic` into the state; returns the items to push (maybe none).

        On the entity, quote and topic topics a Retraction (`ce_type` "news.retraction", or a `retracts`
        field) withdraws the event it names from every view instead.
        """
        if not isinstance(event, dict):
            self.ignored += 1
            return []
        retraction = topic in self._retractions and is_retraction(event, ce_type)
        handler = self._retractions[topic] if retraction else self._handlers.get(topic)
        event_id = _text(event.get("event_id"))
        if handler is None or event_id is None:
            self.ignored += 1
            return []
        # Trending records are updated in place (compacted topic): the latest count wins, never deduplicated.
        if topic != flow.TRENDING.name:
            if event_id in self.seen:
                return []
            self._remember(event_id)
        # Topics are read in any order: what a killed article said, read after its tombstone, stays unshown.
        if not retraction and _text(event.get("article_id")) in self.killed:
            return []
        try:
            items = handler(self, event)
        except (KeyError, TypeError, ValueError, AttributeError):
            # A consumer of a public contract tolerates what it cannot read; it never stops the feed.
            self.ignored += 1
            return []
        self.applied[topic] += 1
        return items

    def _remember(self, event_id: str) -> None:
        self.seen[event_id] = None
        if len(self.seen) > self.max_seen:
            self.seen.popitem(last=False)

    def _push(self, kind: str, source: str | None, keys: Iterable[str], data: Json) -> Item:
        self.last_id += 1
        item = Item(self.last_id, kind, source, frozenset(keys), data)
        self.items.append(item)
        return item

    def _article(self, article_id: str, source: str) -> Article:
        article = self.articles.get(article_id)
        if article is None:
            article = self.articles[article_id] = Article(source)
            if source in self.sources or len(self.sources) < self.max_sources:
                self.sources[source] += 1
            while len(self.articles) > self.max_articles:
                self._forget(*self.articles.popitem(last=False))
        self.articles.move_to_end(article_id)
        return article

    def _forget(self, article_id: str, article: Article) -> None:
        for entity_id in article.entities:
            self._count(self.entity_counts, article.source, entity_id, -1)
            if not self.entity_counts[None][entity_id]:
                self.names.pop(entity_id, None)
        for topic in article.topics:
            self._count(self.topic_counts, article.source, topic, -1)

    @staticmethod
    def _count(counts: dict[str | None, Counter[str]], source: str, key: str, delta: int) -> int:
        for scope in (None, source):
            counter = counts.setdefault(scope, Counter())
            counter[key] += delta
            if counter[key] <= 0:
                del counter[key]
        if not counts[source]:
            del counts[source]
        return counts[None][key]

    def _entity(self, event: Json) -> list[Item]:
        source, entity_id = str(event["source"]), str(event["entity_id"])
        name, kind = str(event["name"]), str(event["type"])
        article = self._article(str(event["article_id"]), source)
        article.time = article.time or parse_time(str(event.get("published_at") or ""))
        article.mark(
            int(event.get("version") or 1),
            (
                Span(int(m["paragraph"]), int(m["start"]), int(m["end"]), entity_id, kind)
                for m in event.get("mentions") or ()
                if isinstance(m, dict) and m.get("section") == "body"
            ),
        )
        self.names[entity_id] = (name, kind)
        article.entity_events[str(event["event_id"])] = entity_id
        if entity_id in article.entities:  # a revision of the article: the entity is counted once
            return []
        article.entities[entity_id] = (name, kind)
        count = self._count(self.entity_counts, source, entity_id, +1)
        data = {"entity_id": entity_id, "name": name, "type": kind, "source": source, "count": count}
        return [self._push("entity", source, (entity_id, name.casefold()), data)]

    def _quote(self, event: Json) -> list[Item]:
        source, article_id = str(event["source"]), str(event["article_id"])
        speaker_id, speaker = _speaker(event.get("speaker"))
        addressee_id, addressee = _speaker(event.get("addressee"))
        article = self._article(article_id, source)
        if event.get("section") == "body":
            span = Span(int(event["paragraph"]), int(event["start"]), int(event["end"]), quote=True)
            article.mark(int(event.get("version") or 1), [span])
            article.quote_spans[str(event["event_id"])] = span
        keys = article.match_keys() | {
            k.casefold() for k in (speaker_id, speaker, addressee_id, addressee) if k is not None
        }
        # No time given stays no time: the page says so rather than showing the moment it arrived.
        published = _text(event.get("published_at"))
        data = {
            "event_id": event["event_id"],
            "article_id": article_id,
            "text": str(event["text"]),
            "speaker": speaker,
            "speaker_id": speaker_id,
            "cue": _text(event.get("cue")),
            "source": source,
            "published_at": published,
            "headline": article.headline,
            "url": article.url,
        }
        item = self._push("quote", source, keys, data)
        self.quote_items.append(item)
        return [item]

    def _topic(self, event: Json) -> list[Item]:
        source, topic, label = str(event["source"]), str(event["topic"]), str(event["label"])
        article = self._article(str(event["article_id"]), source)
        self.labels[topic] = label
        article.topic_events[str(event["event_id"])] = topic
        if topic in article.topics:
            return []
        article.topics[topic] = label
        count = self._count(self.topic_counts, source, topic, +1)
        data = {"topic": topic, "label": label, "source": source, "count": count}
        return [self._push("topic", source, article.match_keys(), data)]

    def _trending(self, event: Json) -> list[Item]:
        key, window = str(event["key"]), str(event["window"])
        row: Json = {
            "key": key,
            "kind": str(event["kind"]),
            "name": str(event["name"]),
            "window": window,
            "window_end": str(event["window_end"]),
            "count": int(event["count"]),
            "previous_count": int(event.get("previous_count") or 0),
            "rising": float(event["rising"]),
        }
        if window == "1m":  # the sparkline's minutes; a late event may revise an older minute
            minutes = self.minutes.setdefault(key, OrderedDict())
            minutes[str(event["window_start"])] = row["count"]
            while len(minutes) > MINUTES_KEPT:
                minutes.popitem(last=False)
        per_key = self.windows.setdefault(key, {})
        current = per_key.get(window)
        # Windows only move forward: a replayed older window must not replace the newer one.
        if current is not None and current["window_end"] > row["window_end"]:
            return []
        per_key[window] = row
        self.windows.move_to_end(key)
        while len(self.windows) > self.max_trending:
            gone, _ = self.windows.popitem(last=False)
            self.minutes.pop(gone, None)
        return [self._push("trending", None, (key, str(event["name"]).casefold()), row)]

    def _enriched(self, event: Json) -> list[Item]:
        source = str(event["source"])
        article = self._article(str(event["article_id"]), source)
        # A ninjs document: the main headline, the URI when it is the article's URL (else a URN).
        headlines = [h for h in event.get("headlines") or () if isinstance(h, dict)]
        article.headline = _text(next((h.get("value") for h in headlines if h.get("role") == "main"), None))
        uri = _text(event.get("uri"))
        article.url = uri if uri and uri.startswith(("https://", "http://")) else None
        version = int(event.get("version") or 1)  # a string in ninjs
        if version >= article.version:
            bodies = [b for b in event.get("bodies") or () if isinstance(b, dict)]
            body = _text(next((b.get("value") for b in bodies), None)) or ""
            article.version, article.language = version, _text(event.get("language"))
            article.paragraphs = body.split("\n\n") if body else []
        listed = [e for group in ("people", "organisations", "places") for e in event.get(group) or ()]
        # `literal` is the entity id (the key of news.entities), what a dashboard filter names.
        names = (_text(e.get(k)) for e in listed if isinstance(e, dict) for k in ("literal", "name"))
        article.listed = frozenset(n.casefold() for n in names if n)
        # Quotes of this article that arrived first get its headline and link now (topics are read in
        # any order); the pushed item carries both, so an open page fills in what it already shows.
        for item in self.quote_items:
            if item.data["article_id"] == event["article_id"]:
                item.data.update(headline=article.headline, url=article.url)
        data = {
            "article_id": event["article_id"],
            "headline": article.headline,
            "url": article.url,
            "source": source,
        }
        return [self._push("article", source, article.match_keys(), data)]

    # ---- withdrawals: retractions (a kill or a correction) and tombstones ----------------------

    def _target(self, event: Json) -> tuple[str, Article | None]:
        """The withdrawn event's id, remembered as seen (a replay of it stays withdrawn), and its article."""
        retracts = str(event["retracts"])
        self._remember(retracts)
        return retracts, self.articles.get(str(event["article_id"]))

    def _withdrawn(self, event: Json, what: str, source: str | None, **data: Any) -> list[Item]:
        self.withdrawn[what] += 1
        payload = {
            "event_id": event["event_id"],
            "retracts": str(event["retracts"]),
            "what": what,
            "article_id": str(event["article_id"]),
            "reason": _text(event.get("reason")),
            **data,
        }
        return [self._push("retraction", source, (), payload)]

    def _drop_quotes(self, withdrawn: Callable[[Json], bool]) -> list[Item]:
        """Take the quotes whose data `withdrawn` picks out of the list and the replay buffer."""
        gone = {item.id: item for item in self.quote_items if withdrawn(item.data)}
        if gone:
            self.quote_items = deque(
                (i for i in self.quote_items if i.id not in gone), self.quote_items.maxlen
            )
            self.items = deque((i for i in self.items if i.id not in gone), self.items.maxlen)
        return list(gone.values())

    def _rekey_quotes(self, article_id: str, article: Article, dropped: set[str]) -> None:
        """An entity left the article: its quotes stop matching that entity's filter, unless it speaks."""
        kept = article.match_keys()

        def rekey(item: Item) -> Item:
            if item.kind != "quote" or item.data["article_id"] != article_id:
                return item
            own = {k.casefold() for k in (item.data["speaker_id"], item.data["speaker"]) if k}
            return replace(item, keys=item.keys - (dropped - kept - own))

        self.quote_items = deque(map(rekey, self.quote_items), self.quote_items.maxlen)
        self.items = deque(map(rekey, self.items), self.items.maxlen)

    def _retract_quote(self, event: Json) -> list[Item]:
        retracts, article = self._target(event)
        # The id and the article both, as for entities and topics (a Retraction travels on its event's key).
        article_id = str(event["article_id"])
        gone = self._drop_quotes(
            lambda data: (data["event_id"], data["article_id"]) == (retracts, article_id)
        )
        source = gone[0].source if gone else None
        span = article.quote_spans.pop(retracts, None) if article is not None else None
        if article is not None and span is not None and span in article.spans:
            article.spans.remove(span)  # the article view stops marking it too
            source = article.source
        if source is None:
            return []  # an id this dashboard does not hold (never read, or evicted): nothing changes
        return self._withdrawn(event, "quote", source)

    def _retract_entity(self, event: Json) -> list[Item]:
        retracts, article = self._target(event)
        entity_id = article.entity_events.get(retracts) if article else None
        if article is None or entity_id is None or entity_id not in article.entities:
            return []
        name, kind = article.entities.pop(entity_id)
        article.entity_events = {e: x for e, x in article.entity_events.items() if x != entity_id}
        article.spans = [s for s in article.spans if s.entity != entity_id]
        count = self._count(self.entity_counts, article.source, entity_id, -1)
        if not count:
            self.names.pop(entity_id, None)
        self._rekey_quotes(str(event["article_id"]), article, {entity_id, name.casefold()})
        data = {"entity_id": entity_id, "name": name, "type": kind, "count": count}
        return self._withdrawn(event, "entity", article.source, **data)

    def _retract_topic(self, event: Json) -> list[Item]:
        retracts, article = self._target(event)
        code = article.topic_events.get(retracts) if article else None
        if article is None or code is None or code not in article.topics:
            return []
        label = article.topics.pop(code)
        article.topic_events = {e: t for e, t in article.topic_events.items() if t != code}
        count = self._count(self.topic_counts, article.source, code, -1)
        return self._withdrawn(event, "topic", article.source, topic=code, label=label, count=count)

    def tombstone(self, topic: str, key: str) -> list[Item]:
        """A null value for `key` on `topic`: on news.articles.enriched the article was killed, so it and
        everything it said leave every view (other topics' tombstones are compaction's business only)."""
        if topic not in (flow.ENRICHED.name, flow.CLEAN.name) or not key:
            return []
        self.killed[key] = None
        if len(self.killed) > self.max_seen:
            self.killed.popitem(last=False)
        article = self.articles.pop(key, None)
        gone = self._drop_quotes(lambda data: data["article_id"] == key)
        if article is None and not gone:
            return []
        source = article.source if article is not None else gone[0].source
        if article is not None:
            self._forget(key, article)
            # A withdrawn article is not one its source published, as the source filter counts them.
            if self.sources[article.source] > 1:
                self.sources[article.source] -= 1
            else:
                self.sources.pop(article.source, None)
        self.withdrawn["article"] += 1
        return [self._push("removed", source, (), {"article_id": key, "source": source})]

    _handlers: dict[str, Callable[[DashboardState, Json], list[Item]]] = {
        flow.ENTITIES.name: _entity,
        flow.QUOTES.name: _quote,
        flow.TOPICS.name: _topic,
        flow.TRENDING.name: _trending,
        flow.ENRICHED.name: _enriched,
    }
    # The topics whose events a Retraction on the same topic withdraws.
    _retractions: dict[str, Callable[[DashboardState, Json], list[Item]]] = {
        flow.ENTITIES.name: _retract_entity,
        flow.QUOTES.name: _retract_quote,
        flow.TOPICS.name: _retract_topic,
    }

    # ---- queries -----------------------------------------------------------------------------

    def _with_entity(self, entity: str | None) -> list[Article] | None:
        if not entity:
            return None
        wanted = entity.casefold()
        return [a for a in self.articles.values() if wanted in a.match_keys()]

    def trending(
        self,
        types: str | Iterable[str] | None = None,
        source: str | None = None,
        entity: str | None = None,
        limit: int = 10,
        since: datetime | None = None,
    ) -> list[Json]:
        """Entities by number of remembered articles mentioning them (after `since`), most first, ties by name.

        With `entity`, counts are over the articles that mention it (what is talked about alongside it).
        """
        wanted = {types} if isinstance(types, str) else set(types or ())
        along = self._with_entity(entity)
        if along is None and since is None:
            counts = self.entity_counts.get(source, Counter())
        else:
            chosen = self.articles.values() if along is None else along
            counts = Counter(
                e
                for a in chosen
                if (not source or a.source == source) and (since is None or (a.time and a.time > since))
                for e in a.entities
            )
        rows: list[Json] = []
        for entity_id, count in counts.items():
            name, kind = self.names.get(entity_id, (entity_id, ""))
            if wanted and kind not in wanted:
                continue
            windows = {
                w: {"count": row["count"], "rising": row["rising"]}
                for w, row in self.windows.get(entity_id, {}).items()
            }
            rows.append(
                {"entity_id": entity_id, "name": name, "type": kind, "count": count, "windows": windows}
            )
        rows.sort(key=lambda r: (-r["count"], r["name"].casefold(), r["entity_id"]))
        return rows[:limit]

    def panel(
        self,
        types: str | Iterable[str] | None = None,
        source: str | None = None,
        entity: str | None = None,
        limit: int = 10,
        span: str = "hour",
    ) -> tuple[list[Json], Json | None]:
        """A ranked panel and the window it covers.

        The whole feed's hour comes from the trending topic (the worker's distinct-article counts on event
        time). A day, or a view narrowed to a source or an entity, counts the remembered articles whose
        event time lies in the span before the newest one (articles with no time are left out).
        """
        if span == "hour" and not source and not entity:
            wanted = {types} if isinstance(types, str) else set(types or ())
            candidates = []
            for key, per_key in self.windows.items():
                row = per_key.get("1h")
                if row is None or row["kind"] != "entity":
                    continue
                name, kind = self.names.get(key, (row["name"], FAMILY_TYPES.get(key.split(":")[0], "")))
                if not wanted or kind in wanted:
                    candidates.append(Candidate(key, name, kind, row))
            return hour_panel(candidates, self.minutes, limit)
        times = [a.time for a in self.articles.values() if a.time is not None]
        if not times:
            return [], None
        end = max(times)
        start = end - timedelta(seconds=SPANS.get(span, SPANS["day"]))
        rows = self.trending(types, source, entity, limit, since=start)
        return rows, {"span": span, "start": start.isoformat(), "end": end.isoformat(), "basis": "articles"}

    def article_view(self, article_id: str) -> Json | None:
        """One remembered article: its text with entity mentions and quotations marked, topics, quotes."""
        article = self.articles.get(article_id)
        if article is None:
            return None
        return {
            "article_id": article_id,
            "source": article.source,
            "headline": article.headline,
            "url": article.url,
            "version": article.version or None,
            "language": article.language,
            "published_at": article.time.isoformat() if article.time else None,
            "topics": [{"topic": t, "label": label} for t, label in sorted(article.topics.items())],
            "entities": [
                {"entity_id": e, "name": name, "type": kind}
                for e, (name, kind) in sorted(article.entities.items(), key=lambda kv: kv[1][0].casefold())
            ],
            "paragraphs": marked_paragraphs(article.paragraphs, article.spans),
            "quotes": [i.to_json() for i in self.quote_items if i.data["article_id"] == article_id],
        }

    def entity_view(self, entity_id: str, limit: int = 20) -> Json | None:
        """One entity: the remembered articles that name it (newest first), its quotes, the entities named
        alongside it, and its distinct articles per hour over the day up to the newest article."""
        if entity_id not in self.names:
            return None
        name, kind = self.names[entity_id]
        naming = [(aid, a) for aid, a in self.articles.items() if entity_id in a.entities]
        naming.sort(key=lambda x: (x[1].time is None, -(x[1].time.timestamp() if x[1].time else 0)))
        times = [a.time for a in self.articles.values() if a.time is not None]
        hours: list[Json] = []
        if times:
            end = max(times).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            for n in range(24, 0, -1):
                start = end - timedelta(hours=n)
                count = sum(1 for _, a in naming if a.time and start <= a.time < start + timedelta(hours=1))
                hours.append({"start": start.isoformat(), "count": count})
        related = [r for r in self.trending(entity=entity_id, limit=limit + 1) if r["entity_id"] != entity_id]
        return {
            "entity_id": entity_id,
            "name": name,
            "type": kind,
            "articles": [
                {
                    "article_id": aid,
                    "headline": a.headline,
                    "url": a.url,
                    "source": a.source,
                    "published_at": a.time.isoformat() if a.time else None,
                }
                for aid, a in naming[:limit]
            ],
            "article_count": len(naming),
            "quotes": self.quotes(entity=entity_id, limit=limit),
            "related": [{k: r[k] for k in ("entity_id", "name", "type", "count")} for r in related[:limit]],
            "hours": hours,
            "windows": self.windows.get(entity_id, {}),
        }

    def quotes(
        self, source: str | None = None, entity: str | None = None, after_id: int = 0, limit: int = 100
    ) -> list[Json]:
        """The newest quotes (newest first) after `after_id` that match the filters."""
        rows = [
            item.to_json()
            for item in reversed(self.quote_items)
            if item.id > after_id and item.matches(source, entity)
        ]
        return rows[:limit]

    def topics(self, source: str | None = None, entity: str | None = None, limit: int = 20) -> list[Json]:
        """The topic mix: IPTC Media Topics by number of remembered articles, with their share."""
        along = self._with_entity(entity)
        if along is None:
            counts = self.topic_counts.get(source, Counter())
        else:
            counts = Counter(t for a in along if not source or a.source == source for t in a.topics)
        total = sum(counts.values())
        return [
            {"topic": t, "label": self.labels.get(t, t), "count": c, "share": round(c / total, 4)}
            for t, c in _ranked(counts)[:limit]
        ]

    def source_list(self) -> list[Json]:
        return [{"source": s, "articles": n} for s, n in sorted(self.sources.items())]

    def since(
        self, after_id: int, source: str | None = None, entity: str | None = None
    ) -> tuple[list[Item], bool]:
        """Items after `after_id` matching the filters, and whether the buffer still holds all of them.

        False means the client missed items (the buffer moved on, or the service restarted) and must
        reload its snapshot from the JSON endpoints.
        """
        oldest = self.items[0].id if self.items else self.last_id + 1
        complete = oldest - 1 <= after_id <= self.last_id
        return [i for i in self.items if i.id > after_id and i.matches(source, entity)], complete

    def health(self) -> Json:
        return {
            "last_id": self.last_id,
            "articles": len(self.articles),
            "quotes": len(self.quote_items),
            "applied": dict(self.applied),
            "ignored": self.ignored,
            "withdrawn": dict(self.withdrawn),
        }


# ---- fan-out to connected browsers -----------------------------------------------------------


class Hub:
    """Fans new items out to every open /events stream; a stream that falls behind is dropped."""

    def __init__(self, queue_size: int = 1_000) -> None:
        self.queue_size = queue_size
        self.subscribers: set[asyncio.Queue[Item | None]] = set()

    def subscribe(self) -> asyncio.Queue[Item | None]:
        queue: asyncio.Queue[Item | None] = asyncio.Queue(self.queue_size + 1)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Item | None]) -> None:
        self.subscribers.discard(queue)

    def publish(self, items: Iterable[Item]) -> None:
        for item in items:
            for queue in list(self.subscribers):
                if queue.qsize() >= self.queue_size:
                    # The browser reconnects with Last-Event-ID and catches up from the buffer.
                    self.subscribers.discard(queue)
                    queue.put_nowait(None)
                else:
                    queue.put_nowait(item)
