"""The dashboard service: downstream topics into bounded in-memory state, served as a page, SSE and JSON."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import signal
import time
from collections import Counter, OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord

from streams.events import flow
from streams.kafka.clients import consumer
from streams.settings import Settings

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
TOPICS = tuple(spec.name for spec in flow.DOWNSTREAM)
# The page's three trending panels; places are both geopolitical entities and other locations.
GROUPS = {"people": ("PERSON",), "organisations": ("ORG",), "places": ("GPE", "LOC")}

Json = dict[str, Any]


@dataclass(frozen=True)
class Item:
    """One pushed update: what a browser receives on /events, with what filters match it."""

    id: int
    kind: str  # quote | entity | topic | trending | article
    source: str | None
    keys: frozenset[str]  # entity ids and casefolded names the entity filter matches
    data: Json

    def matches(self, source: str | None, entity: str | None) -> bool:
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
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.clock = clock
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
        self.sources: Counter[str] = Counter()  # articles seen per source
        self.seen: OrderedDict[str, None] = OrderedDict()  # event ids already applied
        self.applied: Counter[str] = Counter()
        self.ignored = 0

    # ---- feeding -----------------------------------------------------------------------------

    def apply(self, topic: str, event: Json) -> list[Item]:
        """Take one event of design topic `topic` into the state; returns the items to push (maybe none)."""
        handler = self._handlers.get(topic)
        event_id = _text(event.get("event_id")) if isinstance(event, dict) else None
        if handler is None or event_id is None:
            self.ignored += 1
            return []
        # Trending records are updated in place (compacted topic): the latest count wins, never deduplicated.
        if topic != flow.TRENDING.name:
            if event_id in self.seen:
                return []
            self._remember(event_id)
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
        self.names[entity_id] = (name, kind)
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
        keys = article.match_keys() | {
            k.casefold() for k in (speaker_id, speaker, addressee_id, addressee) if k is not None
        }
        published = _text(event.get("published_at")) or self.clock().isoformat()
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
        if topic in article.topics:
            return []
        article.topics[topic] = label
        count = self._count(self.topic_counts, source, topic, +1)
        data = {"topic": topic, "label": label, "source": source, "count": count}
        return [self._push("topic", source, article.match_keys(), data)]

    def _trending(self, event: Json) -> list[Item]:
        key, window = str(event["key"]), str(event["window"])
        row = {
            "key": key,
            "kind": str(event["kind"]),
            "name": str(event["name"]),
            "window": window,
            "window_end": str(event["window_end"]),
            "count": int(event["count"]),
            "rising": float(event["rising"]),
        }
        per_key = self.windows.setdefault(key, {})
        current = per_key.get(window)
        # Windows only move forward: a replayed older window must not replace the newer one.
        if current is not None and current["window_end"] > row["window_end"]:
            return []
        per_key[window] = row
        self.windows.move_to_end(key)
        while len(self.windows) > self.max_trending:
            self.windows.popitem(last=False)
        return [self._push("trending", None, (key, str(event["name"]).casefold()), row)]

    def _enriched(self, event: Json) -> list[Item]:
        source = str(event["source"])
        article = self._article(str(event["article_id"]), source)
        article.headline = _text(event.get("headline"))
        article.url = _text(event.get("url"))
        listed = [e for group in ("people", "organisations", "places") for e in event.get(group) or ()]
        names = (_text(e.get(k)) for e in listed if isinstance(e, dict) for k in ("uri", "name"))
        article.listed = frozenset(n.casefold() for n in names if n)
        data = {"article_id": event["article_id"], "headline": article.headline, "source": source}
        return [self._push("article", source, article.match_keys(), data)]

    _handlers: dict[str, Callable[[DashboardState, Json], list[Item]]] = {
        flow.ENTITIES.name: _entity,
        flow.QUOTES.name: _quote,
        flow.TOPICS.name: _topic,
        flow.TRENDING.name: _trending,
        flow.ENRICHED.name: _enriched,
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
    ) -> list[Json]:
        """Entities by number of remembered articles mentioning them, most first.

        With `entity`, counts are over the articles that mention it (what is talked about alongside it).
        """
        wanted = {types} if isinstance(types, str) else set(types or ())
        along = self._with_entity(entity)
        if along is None:
            counts = self.entity_counts.get(source, Counter())
        else:
            counts = Counter(e for a in along if not source or a.source == source for e in a.entities)
        rows = []
        for entity_id, count in _ranked(counts):
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
            if len(rows) >= limit:
                break
        return rows

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


# ---- the Kafka side ----------------------------------------------------------------------------


@dataclass
class Feed:
    """Turns consumer records into state updates; owns what the consumer must know about positions."""

    settings: Settings
    state: DashboardState
    hub: Hub
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    status: str = "starting"
    malformed: int = 0
    assigned: int = 0  # partitions this dashboard reads now
    # Of all partitions of its topics: fewer means another member of the group reads the rest, and
    # this page shows part of the news (dashboard replicas each need everything).
    available: int = 0

    def topic_name(self, full: str) -> str:
        prefix = self.settings.topic_prefix
        return full[len(prefix) :] if prefix and full.startswith(prefix) else full

    def take(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """One record: decode, apply to the state, push what changed."""
        self.positions[TopicPartition(record.topic, record.partition)] = record.offset
        if record.value is None:  # a tombstone on a compacted topic carries nothing to show
            return
        try:
            event = orjson.loads(record.value)
        except orjson.JSONDecodeError:
            self.malformed += 1
            return
        self.hub.publish(self.state.apply(self.topic_name(record.topic), event))


class _Rewind(ConsumerRebalanceListener):
    """State lives in memory only, so a new assignment starts at the beginning, or where we left it."""

    def __init__(self, feed: Feed, kafka: AIOKafkaConsumer) -> None:
        self.feed, self.kafka = feed, kafka

    async def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.feed.assigned = len(assigned)
        topics = self.kafka.subscription()
        self.feed.available = sum(len(self.kafka.partitions_for_topic(t) or ()) for t in topics)
        fresh = [tp for tp in assigned if tp not in self.feed.positions]
        if fresh:
            await self.kafka.seek_to_beginning(*fresh)
        for tp in assigned:
            if tp in self.feed.positions:
                self.kafka.seek(tp, self.feed.positions[tp] + 1)


async def consume(feed: Feed, *, retry: float = 5.0) -> None:
    """Read the downstream topics from the earliest offset into `feed` until cancelled."""
    settings = feed.settings
    while True:
        kafka = consumer(
            settings,
            group_id=f"{settings.app_id}-dashboard",
            client_id=f"{settings.app_id}-dashboard",
            auto_offset_reset="earliest",
            # Offsets are never committed: a restarted dashboard has empty memory and needs the history.
            enable_auto_commit=False,
            # Topics created after start (by the worker) are picked up within seconds, not minutes.
            metadata_max_age_ms=5_000,
        )
        kafka.subscribe([settings.topic(name) for name in TOPICS], listener=_Rewind(feed, kafka))
        try:
            await kafka.start()
            feed.status = "consuming"
            while True:
                batches = await kafka.getmany(timeout_ms=1_000, max_records=500)
                for records in batches.values():
                    for record in records:
                        feed.take(record)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the broker being away must not take the web side down
            feed.status = f"retrying: {exc}"
            log.warning("dashboard consumer failed, retrying in %.0fs: %s", retry, exc)
        finally:
            await kafka.stop()
        await asyncio.sleep(retry)


# ---- the web side ----------------------------------------------------------------------------

STATE: web.AppKey[DashboardState] = web.AppKey("state", DashboardState)
HUB: web.AppKey[Hub] = web.AppKey("hub", Hub)
FEED: web.AppKey[Feed] = web.AppKey("feed", Feed)
SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
ASSETS = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
OPEN_PATHS = {"/health", "/favicon.ico", *(f"/static/{name}" for name in ASSETS)}  # carry no data
PING_SECONDS = 15.0


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access log without query strings: ?token= must never reach a log file."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %.3fs', request.remote, request.method, request.path, response.status, time
        )


def _token_ok(request: web.Request, expected: str) -> bool:
    header = request.headers.get("Authorization", "")
    given = header[7:] if header.startswith("Bearer ") else request.query.get("token", "")
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@web.middleware
async def _guard(request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
    expected = request.app[SETTINGS].dashboard_token
    if expected and request.path not in OPEN_PATHS and not _token_ok(request, expected):
        return web.json_response(
            {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"}
        )
    response: web.StreamResponse = await handler(request)
    return response


async def _secure(request: web.Request, response: web.StreamResponse) -> None:
    # On prepare, so errors, 401s and the event stream get the headers too.
    response.headers.update(SECURITY_HEADERS)


def _json(data: Any) -> web.Response:
    return web.Response(
        body=orjson.dumps(data), content_type="application/json", headers={"Cache-Control": "no-store"}
    )


def _filters(request: web.Request) -> tuple[str | None, str | None]:
    return request.query.get("source") or None, request.query.get("entity") or None


def _int(request: web.Request, name: str, default: int, *, low: int = 0, high: int = 1 << 62) -> int:
    try:
        return max(low, min(high, int(request.query.get(name, default))))
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"{name} must be an integer") from exc


async def page(request: web.Request) -> web.Response:
    return web.Response(
        body=(STATIC / "dashboard.html").read_bytes(),
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound()
    return web.Response(body=(STATIC / name).read_bytes(), content_type=ASSETS[name], charset="utf-8")


async def favicon(request: web.Request) -> web.Response:
    # Browsers ask for it on every page; no icon beats a 404 in every console.
    return web.Response(status=204, headers={"Cache-Control": "max-age=86400"})


async def api_trending(request: web.Request) -> web.Response:
    source, entity = _filters(request)
    group = request.query.get("group")
    types = GROUPS.get(group or "") or [t for t in request.query.get("type", "").split(",") if t]
    limit = _int(request, "limit", 10, low=1, high=100)
    return _json({"trending": request.app[STATE].trending(types, source, entity, limit)})


async def api_quotes(request: web.Request) -> web.Response:
    state = request.app[STATE]
    source, entity = _filters(request)
    after = _int(request, "after_id", 0)
    limit = _int(request, "limit", 100, low=1, high=500)
    # last_id lets the page open /events exactly where this snapshot ends.
    return _json({"last_id": state.last_id, "quotes": state.quotes(source, entity, after, limit)})


async def api_topics(request: web.Request) -> web.Response:
    source, entity = _filters(request)
    return _json({"topics": request.app[STATE].topics(source, entity)})


async def api_sources(request: web.Request) -> web.Response:
    return _json({"sources": request.app[STATE].source_list()})


async def health(request: web.Request) -> web.Response:
    feed = request.app.get(FEED)
    kafka = (
        {
            "status": feed.status,
            "partitions": feed.assigned,
            "of": feed.available,
            "malformed": feed.malformed,
        }
        if feed
        else {"status": "not consuming"}
    )
    # 200 either way: the page still serves what it holds while the broker is away.
    return _json(
        {
            "status": "ok"
            if feed is None or (feed.status == "consuming" and 0 < feed.assigned == feed.available)
            else "degraded",
            "kafka": kafka,
            "subscribers": len(request.app[HUB].subscribers),
            **request.app[STATE].health(),
        }
    )


def _sse(item: Item) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (item.id, item.kind.encode(), orjson.dumps(item.to_json()))


async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events of new items matching ?source= and ?entity=, resuming after Last-Event-ID."""
    state, hub = request.app[STATE], request.app[HUB]
    source, entity = _filters(request)
    resume = request.headers.get("Last-Event-ID") or request.query.get("after")
    try:
        after = int(resume) if resume else state.last_id
    except ValueError:
        after = -1  # garbage: treated as a gap, so the page reloads its snapshot
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    # Subscribe before replaying, so nothing published during the replay is lost; duplicates are skipped.
    queue = hub.subscribe()
    try:
        backlog, complete = state.since(after, source, entity)
        if not complete:
            await response.write(b"event: reset\ndata: {}\n\n")
            backlog, after = [], state.last_id
        await response.write(b"retry: 2000\n\n")
        for item in backlog:
            await response.write(_sse(item))
            after = item.id
        while True:
            try:
                pushed = await asyncio.wait_for(queue.get(), PING_SECONDS)
            except TimeoutError:
                await response.write(b": ping\n\n")  # keeps proxies open and finds closed browsers
                continue
            if pushed is None:  # fell behind: closing makes the browser reconnect and catch up
                break
            if pushed.id > after and pushed.matches(source, entity):
                await response.write(_sse(pushed))
                after = pushed.id
    except ConnectionResetError:
        pass  # the browser went away
    finally:
        hub.unsubscribe(queue)
    return response


def create_app(
    settings: Settings, state: DashboardState | None = None, *, consume_kafka: bool = False
) -> web.Application:
    """The web app over `state`; with `consume_kafka` it also runs the consumer that feeds it."""
    app = web.Application(middlewares=[_guard])
    app.on_response_prepare.append(_secure)
    app[SETTINGS] = settings
    app[STATE] = state if state is not None else DashboardState()
    app[HUB] = Hub()
    app.router.add_get("/", page)
    app.router.add_get("/static/{name}", asset)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get("/events", events)
    app.router.add_get("/api/trending", api_trending)
    app.router.add_get("/api/quotes", api_quotes)
    app.router.add_get("/api/topics", api_topics)
    app.router.add_get("/api/sources", api_sources)
    app.router.add_get("/health", health)
    if consume_kafka:
        app[FEED] = Feed(settings, app[STATE], app[HUB])
        app.cleanup_ctx.append(_consuming)
    return app


async def _consuming(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(consume(app[FEED]), name="dashboard-consumer")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@dataclass
class Served:
    """A running dashboard: its runner (to clean up), its URL and its app."""

    runner: web.AppRunner
    url: str
    app: web.Application

    async def stop(self) -> None:
        await self.runner.cleanup()


async def serve(settings: Settings, *, consume_kafka: bool = True, port: int | None = None) -> Served:
    """Start the dashboard in the running event loop (consumer and web server); stop with `.stop()`."""
    # Item ids start from the clock, so ids after a restart are above any a browser still holds.
    state = DashboardState(first_id=time.time_ns() // 1_000_000 * 1_000)
    app = create_app(settings, state, consume_kafka=consume_kafka)
    # Open SSE streams would otherwise hold shutdown for the whole grace period.
    runner = web.AppRunner(app, access_log_class=PathOnlyAccessLogger, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, settings.dashboard_host, settings.dashboard_port if port is None else port)
    await site.start()
    bound = runner.addresses[0]
    return Served(runner, f"http://{bound[0]}:{bound[1]}/", app)


def run(settings: Settings) -> None:
    """Run the dashboard until SIGINT or SIGTERM."""
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        served = await serve(settings)
        log.info("dashboard serving on %s", served.url)
        print(f"dashboard serving on {served.url}", flush=True)
        try:
            await stop.wait()
        finally:
            await served.stop()

    asyncio.run(main())
