"""The dashboard without Kafka: its state over plain event dicts, and its HTTP side over aiohttp's test client."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from aiokafka.structs import ConsumerRecord

from streams.settings import Settings
from streams.web.feed import Feed
from streams.web.panels import is_spike
from streams.web.server import STATE, create_app
from streams.web.state import DashboardState, Hub
from streams.web.views import Span, segments


def entity(article: str, entity_id: str, name: str, kind: str, source: str = "bbc", **extra: Any) -> dict:
    version = extra.pop("version", 1)
    return {
        "event_id": f"e-{article}-{entity_id}-{version}",
        "article_id": article,
        "version": version,
        "entity_id": entity_id,
        "name": name,
        "type": kind,
        "mentions": [],
        "salience": 0.5,
        "source": source,
        "published_at": "2026-11-27T11:00:00+00:00",
        **extra,
    }


def quote(article: str, n: int, text: str, speaker: tuple[str, str] | None, source: str = "bbc") -> dict:
    return {
        "event_id": f"q-{article}-{n}",
        "article_id": article,
        "text": text,
        "kind": "full",
        "section": "body",
        "paragraph": 0,
        "start": 0,
        "end": len(text),
        "source": source,
        "speaker": {"entity_id": speaker[0], "name": speaker[1]} if speaker else None,
        "cue": "said",
        "published_at": "2026-11-27T11:00:00+00:00",
    }


def topic(article: str, medtop: str, label: str, source: str = "bbc") -> dict:
    return {
        "event_id": f"t-{article}-{medtop}",
        "article_id": article,
        "topic": medtop,
        "label": label,
        "score": 0.9,
        "rank": 1,
        "source": source,
    }


LAVROV = ("person:sergei-lavrov", "Sergei Lavrov")
JOHNSON = ("person:boris-johnson", "Boris Johnson")


def fed(**limits: int) -> DashboardState:
    """A state holding two BBC articles and one Guardian article, with entities, quotes and topics."""
    state = DashboardState(**limits)
    for event in (
        entity("a1", *LAVROV, "PERSON"),
        entity("a1", *JOHNSON, "PERSON"),
        entity("a1", "org:nato", "NATO", "ORG"),
        entity("a2", *LAVROV, "PERSON"),
        entity("a2", "gpe:moscow", "Moscow", "GPE"),
        entity("a3", *JOHNSON, "PERSON", source="guardian"),
        entity("a3", "loc:baltic", "the Baltic", "LOC", source="guardian"),
    ):
        state.apply("news.entities", event)
    state.apply("news.quotes", quote("a1", 0, "We will not be lectured", LAVROV))
    state.apply("news.quotes", quote("a3", 0, "Nonsense", JOHNSON, source="guardian"))
    state.apply("news.topics", topic("a1", "medtop:11000000", "politics"))
    state.apply("news.topics", topic("a2", "medtop:11000000", "politics"))
    state.apply("news.topics", topic("a3", "medtop:04000000", "economy", source="guardian"))
    return state


# ---- DashboardState --------------------------------------------------------------------------


def test_trending_counts_articles_per_entity_by_type() -> None:
    state = fed()
    people = state.trending("PERSON")
    assert [(r["name"], r["count"]) for r in people] == [("Boris Johnson", 2), ("Sergei Lavrov", 2)]
    assert [r["name"] for r in state.trending(["GPE", "LOC"])] == ["Moscow", "the Baltic"]
    assert [r["entity_id"] for r in state.trending("ORG")] == ["org:nato"]
    assert len(state.trending(limit=3)) == 3


def test_trending_filters_by_source_and_by_co_occurring_entity() -> None:
    state = fed()
    assert [(r["name"], r["count"]) for r in state.trending("PERSON", source="guardian")] == [
        ("Boris Johnson", 1)
    ]
    # Alongside Moscow (article a2 only): Lavrov and Moscow itself.
    assert {r["name"] for r in state.trending(entity="gpe:moscow")} == {"Sergei Lavrov", "Moscow"}
    # A name works as well as an id, case-insensitively.
    assert {r["name"] for r in state.trending(entity="MOSCOW")} == {"Sergei Lavrov", "Moscow"}


def test_replayed_and_revised_events_are_counted_once() -> None:
    state = fed()
    again = entity("a1", *LAVROV, "PERSON")
    assert state.apply("news.entities", again) == []  # same event id: a replay
    revised = entity("a1", *LAVROV, "PERSON", version=2)
    assert state.apply("news.entities", revised) == []  # new revision, same (article, entity)
    assert state.trending("PERSON", entity="person:sergei-lavrov")[0]["count"] == 2


def test_evicted_articles_leave_the_counts() -> None:
    state = DashboardState(max_articles=2)
    state.apply("news.entities", entity("a1", "org:nato", "NATO", "ORG"))
    state.apply("news.topics", topic("a1", "medtop:11000000", "politics"))
    state.apply("news.entities", entity("a2", *LAVROV, "PERSON"))
    state.apply("news.entities", entity("a3", *LAVROV, "PERSON", source="guardian"))
    # a1 was the oldest article: its entity and topic are off the counts, and its source stays seen.
    assert state.trending("ORG") == []
    assert state.topics() == []
    assert [(r["name"], r["count"]) for r in state.trending()] == [("Sergei Lavrov", 2)]
    assert state.trending(source="bbc")[0]["count"] == 1
    assert [s["source"] for s in state.source_list()] == ["bbc", "guardian"]


def test_quotes_filter_by_source_speaker_and_article_entity() -> None:
    state = fed()
    assert [q["text"] for q in state.quotes()] == ["Nonsense", "We will not be lectured"]  # newest first
    assert [q["text"] for q in state.quotes(source="guardian")] == ["Nonsense"]
    assert [q["speaker"] for q in state.quotes(entity="person:boris-johnson")] == [
        "Boris Johnson",
        "Sergei Lavrov",  # quoted in a1, which mentions Johnson
    ]
    assert [q["text"] for q in state.quotes(entity="org:nato")] == ["We will not be lectured"]
    newest = state.quotes()[0]
    assert newest["source"] == "guardian" and newest["published_at"] == "2026-11-27T11:00:00+00:00"
    assert state.quotes(after_id=newest["id"]) == []


def test_quote_buffer_is_bounded() -> None:
    state = DashboardState(max_quotes=3, max_items=5)
    for n in range(10):
        state.apply("news.quotes", quote("a1", n, f"quote {n}", None))
    assert [q["text"] for q in state.quotes()] == ["quote 9", "quote 8", "quote 7"]
    assert len(state.items) == 5
    assert state.quotes()[0]["speaker"] is None


def test_topic_mix_has_shares() -> None:
    state = fed()
    assert state.topics() == [
        {"topic": "medtop:11000000", "label": "politics", "count": 2, "share": 0.6667},
        {"topic": "medtop:04000000", "label": "economy", "count": 1, "share": 0.3333},
    ]
    assert [t["label"] for t in state.topics(source="guardian")] == ["economy"]
    assert [t["label"] for t in state.topics(entity="gpe:moscow")] == ["politics"]


def test_sources_seen() -> None:
    assert fed().source_list() == [{"source": "bbc", "articles": 2}, {"source": "guardian", "articles": 1}]


def test_trending_windows_attach_to_entities_and_only_move_forward() -> None:
    state = fed()
    window = {
        "event_id": "w1",
        "key": "person:sergei-lavrov",
        "kind": "entity",
        "name": "Sergei Lavrov",
        "window": "1m",
        "window_start": "2026-11-27T11:59:00+00:00",
        "window_end": "2026-11-27T12:00:00+00:00",
        "count": 5,
        "previous_count": 1,
        "rising": 0.6667,
    }
    [item] = state.apply("news.entities.trending", window)
    assert item.kind == "trending"
    older = {**window, "event_id": "w0", "window_end": "2026-11-27T11:59:00+00:00", "count": 1}
    assert state.apply("news.entities.trending", older) == []
    [lavrov] = state.trending("PERSON", entity="person:sergei-lavrov", limit=1)
    assert lavrov["windows"] == {"1m": {"count": 5, "rising": 0.6667}}


def window_row(key: str, name: str, family: str, start: str, count: int, previous: int, n: int = 0) -> dict:
    size = {"1m": 60, "1h": 3600}[family]
    begin = datetime.fromisoformat(start)
    return {
        "event_id": f"w-{key}-{family}-{start}-{count}-{n}",
        "key": key,
        "kind": "entity",
        "name": name,
        "window": family,
        "window_start": begin.isoformat(),
        "window_end": (begin + timedelta(seconds=size)).isoformat(),
        "count": count,
        "previous_count": previous,
        # the worker's definition, written out: (count - previous) / (count + previous)
        "rising": 0.0 if count + previous == 0 else (count - previous) / (count + previous),
    }


def test_the_hour_panel_ranks_the_trending_topic_s_trailing_hour() -> None:
    state = fed()
    rows = [
        # Lavrov: 4 articles in the hour to 12:00 against 4 the hour before (steady).
        window_row(*LAVROV, "1h", "2026-11-27T11:00:00+00:00", 4, 4),
        # Johnson: 4 as well (a tie broken by name: Boris before Sergei), 1 the hour before: a spike.
        window_row(*JOHNSON, "1h", "2026-11-27T11:00:00+00:00", 2, 1),
        window_row(*JOHNSON, "1h", "2026-11-27T11:00:00+00:00", 4, 1, n=1),
        # Ada Lovelace's hour is earlier but still overlaps the newest one: shown, 3 articles, rising.
        window_row("person:ada-lovelace", "Ada Lovelace", "1h", "2026-11-27T10:30:00+00:00", 3, 1),
        # Old news: its latest hour ended two hours before the newest; not shown with a stale count.
        window_row("person:old-news", "Old News", "1h", "2026-11-27T09:00:00+00:00", 9, 0),
        # NATO is an organisation: not on the people panel.
        window_row("org:nato", "NATO", "1h", "2026-11-27T11:00:00+00:00", 7, 7),
        # Johnson's minutes: two in the first five minutes of the hour, one at 11:58 (the last bucket).
        window_row(*JOHNSON, "1m", "2026-11-27T11:00:00+00:00", 1, 0),
        window_row(*JOHNSON, "1m", "2026-11-27T11:04:00+00:00", 1, 0),
        window_row(*JOHNSON, "1m", "2026-11-27T11:58:00+00:00", 1, 0),
    ]
    for row in rows:
        state.apply("news.entities.trending", row)
    people, window = state.panel("PERSON")
    assert [(r["name"], r["count"]) for r in people] == [
        ("Boris Johnson", 4),
        ("Sergei Lavrov", 4),
        ("Ada Lovelace", 3),
    ]
    assert window == {
        "span": "hour",
        "start": "2026-11-27T11:00:00+00:00",
        "end": "2026-11-27T12:00:00+00:00",
        "basis": "trending",
    }
    johnson, lavrov, ada = people
    assert (johnson["spike"], johnson["rising"]) == (True, True)
    assert (lavrov["spike"], lavrov["rising"]) == (False, False)
    assert (ada["spike"], ada["rising"]) == (True, True)  # 3 against 1: three times its baseline
    assert johnson["spark"] == [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert lavrov["spark"] == [0] * 12
    assert [r["name"] for r in state.panel("ORG")[0]] == ["NATO"]


@pytest.mark.parametrize(
    ("count", "previous", "spike"),
    [(3, 0, True), (3, 1, True), (2, 0, False), (8, 3, False), (9, 3, True), (30, 10, True), (29, 10, False)],
)
def test_spike_rule(count: int, previous: int, spike: bool) -> None:
    # The README's rule: at least 3 articles in the trailing hour and at least 3 times the hour before.
    assert is_spike(count, previous) is spike


def test_day_panel_counts_remembered_articles_of_the_last_24_hours() -> None:
    state = fed()
    old = entity("a0", "person:yesterday", "Yester Day", "PERSON", published_at="2026-11-26T10:59:00+00:00")
    state.apply("news.entities", old)
    people, window = state.panel("PERSON", span="day")
    assert [(r["name"], r["count"]) for r in people] == [("Boris Johnson", 2), ("Sergei Lavrov", 2)]
    assert window is not None and window["end"] == "2026-11-27T11:00:00+00:00"


def test_a_quote_read_before_its_article_gets_the_headline_and_link_when_it_arrives() -> None:
    state = DashboardState()
    state.apply("news.quotes", quote("a7", 0, "Later headline", LAVROV))
    assert state.quotes()[0]["headline"] is None
    enriched = {
        "event_id": "enriched-a7",
        "article_id": "a7",
        "source": "bbc",
        "uri": "https://www.bbc.co.uk/news/a7",
        "headlines": [{"role": "main", "value": "Talks resume"}],
    }
    [item] = state.apply("news.articles.enriched", enriched)
    assert item.to_json()["url"] == "https://www.bbc.co.uk/news/a7"
    [q] = state.quotes()
    assert (q["headline"], q["url"]) == ("Talks resume", "https://www.bbc.co.uk/news/a7")


def test_a_quote_with_no_time_says_so() -> None:
    state = DashboardState()
    state.apply("news.quotes", {**quote("a8", 0, "Undated", None), "published_at": None})
    assert state.quotes()[0]["published_at"] is None


def test_unreadable_events_are_ignored_not_raised() -> None:
    state = DashboardState()
    assert state.apply("news.quotes", {"event_id": "x"}) == []
    assert state.apply("news.quotes", ["not", "a", "dict"]) == []  # type: ignore[arg-type]
    assert state.apply("news.unknown", {"event_id": "y"}) == []
    assert state.ignored == 3 and state.last_id == 0


def test_since_resumes_after_an_id_and_reports_gaps() -> None:
    state = DashboardState(max_items=4, first_id=100)
    for n in range(6):
        state.apply("news.quotes", quote("a1", n, f"q{n}", None, source="bbc" if n % 2 else "cnn"))
    assert [i.id for i in state.items] == [102, 103, 104, 105]
    items, complete = state.since(103)
    assert complete and [i.data["text"] for i in items] == ["q4", "q5"]
    items, complete = state.since(101)  # 101 was the last one delivered: nothing was lost
    assert complete and len(items) == 4
    assert [i.id for i in state.since(101, source="bbc")[0]] == [103, 105]
    assert not state.since(100)[1]  # 101 fell out of the buffer
    assert not state.since(500)[1]  # an id from before a restart


def test_tombstones_and_malformed_records_do_not_reach_the_state() -> None:
    def record(value: bytes | None) -> ConsumerRecord[bytes, bytes]:
        return ConsumerRecord("t1.news.quotes", 0, 7, 0, 0, b"a1", value, None, 2, len(value or b""), ())

    feed = Feed(Settings(topic_prefix="t1."), DashboardState(), Hub())
    feed.take(record(None))
    feed.take(record(b"{broken"))
    feed.take(record(orjson.dumps(quote("a1", 0, "hello", None))))
    assert feed.malformed == 1
    assert [q["text"] for q in feed.state.quotes()] == ["hello"]
    assert list(feed.positions.values()) == [7]


# ---- HTTP ----------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(Settings(), fed())
    async with TestClient(TestServer(app)) as c:
        yield c


@pytest_asyncio.fixture
async def guarded() -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(Settings(dashboard_token="s3cret"), fed())
    async with TestClient(TestServer(app)) as c:
        yield c


@pytest.mark.asyncio
async def test_page_and_assets_carry_security_headers(client: TestClient[Any, Any]) -> None:
    page = await client.get("/")
    assert page.status == 200
    html = await page.text()
    assert '<script src="/static/dashboard.js"' in html and "<script>" not in html  # no inline script
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    script = await client.get("/static/dashboard.js")
    assert script.status == 200 and script.content_type == "text/javascript"
    assert "innerHTML" not in await script.text()
    assert (await client.get("/static/../settings.py")).status == 404
    missing = await client.get("/nowhere")
    assert missing.status == 404 and missing.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.asyncio
async def test_json_endpoints(client: TestClient[Any, Any]) -> None:
    people = await (await client.get("/api/trending", params={"group": "people", "span": "day"})).json()
    assert {r["name"] for r in people["trending"]} == {"Sergei Lavrov", "Boris Johnson"}
    assert people["window"] == {
        "span": "day",
        "start": "2026-11-26T11:00:00+00:00",
        "end": "2026-11-27T11:00:00+00:00",
        "basis": "articles",
    }
    places = await (
        await client.get("/api/trending", params={"type": "GPE,LOC", "source": "guardian"})
    ).json()
    assert [r["name"] for r in places["trending"]] == ["the Baltic"]
    # The whole feed's hour comes from the trending topic: none was read here yet.
    hour = await (await client.get("/api/trending", params={"group": "people"})).json()
    assert hour == {"trending": [], "window": None}
    assert (await client.get("/api/trending", params={"span": "week"})).status == 400
    quotes = await (await client.get("/api/quotes", params={"entity": "person:sergei-lavrov"})).json()
    assert [q["text"] for q in quotes["quotes"]] == ["We will not be lectured"]
    assert quotes["last_id"] == client.app[STATE].last_id
    topics = await (await client.get("/api/topics", params={"source": "bbc"})).json()
    assert topics["topics"][0]["label"] == "politics"
    sources = await client.get("/api/sources")
    assert sources.content_type == "application/json"
    assert [s["source"] for s in (await sources.json())["sources"]] == ["bbc", "guardian"]
    assert (await client.get("/api/quotes", params={"after_id": "x"})).status == 400
    health = await (await client.get("/health")).json()
    assert health["status"] == "ok" and health["quotes"] == 2


@pytest.mark.asyncio
async def test_article_text_stays_data_in_json(client: TestClient[Any, Any]) -> None:
    client.app[STATE].apply(
        "news.quotes", quote("a9", 0, "<script>alert(1)</script>", ("person:x", "<b>X</b>"))
    )
    body = await (await client.get("/api/quotes", params={"limit": 1})).json()
    assert body["quotes"][0]["text"] == "<script>alert(1)</script>"
    assert body["quotes"][0]["speaker"] == "<b>X</b>"


@pytest.mark.asyncio
async def test_token_is_required_when_set(guarded: TestClient[Any, Any]) -> None:
    for path in ("/", "/api/quotes", "/api/trending", "/api/topics", "/api/sources", "/events"):
        denied = await guarded.get(path)
        assert denied.status == 401, path
        assert denied.headers["X-Content-Type-Options"] == "nosniff"
    assert (await guarded.get("/api/quotes", headers={"Authorization": "Bearer wrong"})).status == 401
    assert (await guarded.get("/api/quotes", params={"token": "s3cre"})).status == 401
    assert (await guarded.get("/api/quotes", headers={"Authorization": "Bearer s3cret"})).status == 200
    assert (await guarded.get("/", params={"token": "s3cret"})).status == 200
    # Probes and the static assets carry no data.
    assert (await guarded.get("/health")).status == 200
    assert (await guarded.get("/static/dashboard.js")).status == 200


async def read_events(response: Any, count: int) -> list[dict[str, str]]:
    """Parse `count` SSE events (blocks of `field: value` lines) from a streaming response."""
    events: list[dict[str, str]] = []
    block: dict[str, str] = {}
    while len(events) < count:
        line = (await asyncio.wait_for(response.content.readline(), 5)).decode().rstrip("\n")
        if line:
            name, _, value = line.partition(": ")
            block[name] = value
        elif block:
            if "event" in block or "id" in block:
                events.append(block)
            block = {}
    return events


@pytest.mark.asyncio
async def test_events_stream_ids_and_resume_from_last_event_id() -> None:
    state = DashboardState(first_id=1)
    app = create_app(Settings(), state)
    async with TestClient(TestServer(app)) as client:
        from streams.web.server import HUB

        hub = app[HUB]
        for n in range(3):
            state.apply("news.quotes", quote("a1", n, f"q{n}", None, source="bbc" if n != 1 else "cnn"))
        # Resume after id 1: ids 2 and 3 are replayed from the buffer, then live items follow.
        response = await client.get("/events", headers={"Last-Event-ID": "1"})
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        replayed = await read_events(response, 2)
        assert [(e["id"], e["event"]) for e in replayed] == [("2", "quote"), ("3", "quote")]
        assert orjson.loads(replayed[1]["data"])["text"] == "q2"
        hub.publish(state.apply("news.quotes", quote("a1", 9, "live one", LAVROV)))
        [live] = await read_events(response, 1)
        assert live["id"] == "4" and orjson.loads(live["data"])["speaker"] == "Sergei Lavrov"
        response.close()

        # Filtered server-side: only BBC's items, resuming from the start of the buffer.
        filtered = await client.get("/events", params={"source": "cnn", "after": "0"})
        [only] = await read_events(filtered, 1)
        assert only["id"] == "2" and orjson.loads(only["data"])["source"] == "cnn"
        filtered.close()

        # An id the buffer no longer covers makes the page reload its snapshot.
        gap = await client.get("/events", headers={"Last-Event-ID": "999"})
        [reset] = await read_events(gap, 1)
        assert reset["event"] == "reset"
        gap.close()
        await asyncio.sleep(0.05)
    assert not hub.subscribers


@pytest.mark.asyncio
async def test_serve_binds_to_the_configured_host_and_stops(caplog: pytest.LogCaptureFixture) -> None:
    import aiohttp

    from streams.web.server import serve

    served = await serve(Settings(dashboard_port=0, dashboard_token="s3cret"), consume_kafka=False)
    try:
        assert served.url.startswith("http://127.0.0.1:")
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            async with (
                aiohttp.ClientSession() as session,
                session.get(served.url + "api/sources", params={"token": "s3cret"}) as response,
            ):
                assert response.status == 200
                assert await response.json() == {"sources": []}
        # The access log names the path, never the query string that carries the token.
        assert "/api/sources" in caplog.text and "s3cret" not in caplog.text
    finally:
        await served.stop()


def test_reads_the_wire_form_of_every_downstream_record() -> None:
    """Events as the worker publishes them (Record -> JSON bytes), so contract drift shows up here."""
    from streams.events import records

    when = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    common: dict[str, Any] = {"article_id": "w1", "source": "wire.example", "published_at": when}
    events = [
        (
            "news.articles.enriched",
            records.EnrichedArticle(
                event_id="x1",
                uri="urn:newsstreams:wire.example:w1",
                type="text",
                version="1",
                headlines=[{"role": "main", "value": "Headline <i>here</i>"}],
                bodies=[{"role": "text", "contenttype": "text/plain", "charcount": 0, "value": ""}],
                firstcreated=when,
                language="en",
                people=[
                    {
                        "uri": "urn:newsstreams:entity:person:jane-doe",
                        "literal": "person:jane-doe",
                        "name": "Jane Doe",
                        "rel": "mentioned",
                    }
                ],
                organisations=[],
                places=[],
                subjects=[],
                entities=[
                    {"uri": "urn:newsstreams:entity:person:jane-doe", "type": "PERSON", "salience": 0.9}
                ],
                quotes=[],
                keyphrases=[],
                article_id="w1",
                source="wire.example",
            ),
        ),
        (
            "news.entities",
            records.EntityEvent(
                event_id="x2",
                entity_id="person:jane-doe",
                name="Jane Doe",
                type="PERSON",
                mentions=[records.Mention(text="Jane Doe", section="body", paragraph=0, start=0, end=8)],
                salience=0.9,
                **common,
            ),
        ),
        (
            "news.quotes",
            records.QuoteEvent(
                event_id="x3",
                text="It works",
                kind="full",
                section="body",
                paragraph=0,
                start=1,
                end=9,
                speaker=records.Speaker(entity_id="person:jane-doe", name="Jane Doe"),
                cue="said",
                **common,
            ),
        ),
        (
            "news.topics",
            records.TopicEvent(
                event_id="x4", topic="medtop:11000000", label="politics", score=0.8, rank=1, **common
            ),
        ),
        (
            "news.entities.trending",
            records.TrendingCount(
                event_id="x5",
                key="person:jane-doe",
                kind="entity",
                name="Jane Doe",
                window="1m",
                window_start=when,
                window_end=when,
                count=3,
                previous_count=1,
                rising=0.5,
            ),
        ),
    ]
    state = DashboardState()
    for topic_name, event in events:
        [item] = state.apply(topic_name, orjson.loads(records.to_json(event)))
        assert item.matches("wire.example" if item.kind != "trending" else None, "Jane Doe")
    assert state.ignored == 0
    [q] = state.quotes(entity="person:jane-doe")
    assert (q["speaker"], q["headline"], q["published_at"]) == (
        "Jane Doe",
        "Headline <i>here</i>",
        when.isoformat(),
    )
    [row] = state.trending("PERSON")
    assert row["windows"] == {"1m": {"count": 3, "rising": 0.5}}
    assert state.topics("wire.example")[0]["label"] == "politics"


@pytest.mark.asyncio
async def test_health_is_degraded_until_every_partition_is_read() -> None:
    from streams.web.server import FEED, HUB

    app = create_app(Settings(), DashboardState())
    feed = app[FEED] = Feed(Settings(), app[STATE], app[HUB])
    async with TestClient(TestServer(app)) as client:
        statuses = []
        for status, assigned, available in (("starting", 0, 0), ("consuming", 10, 20), ("consuming", 20, 20)):
            feed.status, feed.assigned, feed.available = status, assigned, available
            statuses.append((await (await client.get("/health")).json())["status"])
    # Half the partitions: another member of the dashboard group reads the rest.
    assert statuses == ["degraded", "degraded", "ok"]


# ---- detail views ----------------------------------------------------------------------------


def test_segments_cut_text_where_marks_begin_and_end() -> None:
    text = "Ann Lee said “Bob Ray is late” today."
    bob, quoted = text.index("Bob Ray"), text.index("Bob Ray is late")
    spans = [
        Span(0, 0, 7, "person:ann-lee", "PERSON"),
        Span(0, quoted, quoted + len("Bob Ray is late"), quote=True),  # inside the quotation marks
        Span(0, bob, bob + len("Bob Ray"), "person:bob-ray", "PERSON"),
        Span(0, 30, 99, "person:out-of-range", "PERSON"),  # another version's offset: ignored
    ]
    assert segments(text, spans) == [
        {"text": "Ann Lee", "entity_id": "person:ann-lee", "type": "PERSON"},
        {"text": " said “"},
        {"text": "Bob Ray", "entity_id": "person:bob-ray", "type": "PERSON", "quote": True},
        {"text": " is late", "quote": True},
        {"text": "” today."},
    ]
    assert "".join(piece["text"] for piece in segments(text, spans)) == text


def test_article_view_marks_the_newest_version_and_lists_its_quotes() -> None:
    state = DashboardState()
    body = "Talks resumed on Monday.\n\n“We will not be lectured,” said Sergei Lavrov."
    mention = {"text": "Sergei Lavrov", "section": "body", "paragraph": 1, "start": 32, "end": 45}
    old = {"text": "Lavrov", "section": "body", "paragraph": 0, "start": 0, "end": 6}
    state.apply("news.entities", entity("a1", *LAVROV, "PERSON", mentions=[old], version=1))
    state.apply("news.entities", entity("a1", *LAVROV, "PERSON", mentions=[mention], version=2))
    q = {
        **quote("a1", 0, "We will not be lectured,", LAVROV),
        "paragraph": 1,
        "start": 1,
        "end": 25,
        "version": 2,
    }
    state.apply("news.quotes", q)
    enriched = {
        "event_id": "enriched-a1-2",
        "article_id": "a1",
        "source": "bbc",
        "version": "2",
        "language": "en",
        "uri": "urn:newsstreams:bbc:a1",
        "headlines": [{"role": "main", "value": "Talks resume"}],
        "bodies": [{"role": "text", "contenttype": "text/plain", "value": body}],
    }
    state.apply("news.articles.enriched", enriched)
    state.apply("news.topics", topic("a1", "medtop:11000000", "politics"))
    view = state.article_view("a1")
    assert view is not None
    assert (view["headline"], view["version"], view["url"]) == ("Talks resume", 2, None)
    assert view["topics"] == [{"topic": "medtop:11000000", "label": "politics"}]
    first, second = view["paragraphs"]
    assert first == [{"text": "Talks resumed on Monday."}]  # version 1's mark at 0-6 is gone
    assert second == [
        {"text": "“"},
        {"text": "We will not be lectured,", "quote": True},
        {"text": "” said "},
        {"text": "Sergei Lavrov", "entity_id": LAVROV[0], "type": "PERSON"},
        {"text": "."},
    ]
    assert [x["text"] for x in view["quotes"]] == ["We will not be lectured,"]
    assert state.article_view("nope") is None


def test_entity_view_lists_articles_hours_and_who_is_named_alongside() -> None:
    state = fed()
    late = entity("a4", *LAVROV, "PERSON", published_at="2026-11-27T13:30:00+00:00")
    state.apply("news.entities", late)
    view = state.entity_view(LAVROV[0])
    assert view is not None
    assert (view["name"], view["type"], view["article_count"]) == ("Sergei Lavrov", "PERSON", 3)
    assert next(a["article_id"] for a in view["articles"]) == "a4"  # newest first
    # a1 and a2 at 11:00, a4 at 13:30: the day's last hours are 11:00 → 2, 12:00 → 0, 13:00 → 1.
    assert [(h["start"][11:16], h["count"]) for h in view["hours"][-3:]] == [
        ("11:00", 2),
        ("12:00", 0),
        ("13:00", 1),
    ]
    assert len(view["hours"]) == 24
    # Named alongside Lavrov: Johnson and NATO (a1), Moscow (a2), each in one article.
    assert {(r["name"], r["count"]) for r in view["related"]} == {
        ("Boris Johnson", 1),
        ("NATO", 1),
        ("Moscow", 1),
    }
    assert [q["text"] for q in view["quotes"]] == ["We will not be lectured"]
    assert state.entity_view("person:nobody") is None


@pytest.mark.asyncio
async def test_detail_endpoints(client: TestClient[Any, Any]) -> None:
    entity_page = await (await client.get("/api/entity", params={"id": LAVROV[0]})).json()
    assert entity_page["name"] == "Sergei Lavrov"
    assert (await client.get("/api/entity", params={"id": "person:nobody"})).status == 404
    assert (await client.get("/api/article", params={"id": "a1"})).status == 200
    assert (await client.get("/api/article", params={"id": "nope"})).status == 404
