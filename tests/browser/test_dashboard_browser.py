"""The dashboard in headless Chromium against a real broker: quotes appear live, and article text stays text."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from streams.events import records
from streams.kafka.admin import apply
from streams.settings import Settings
from streams.tools.demo import stream
from tests.integration.conftest import ROOT, Broker, Worker, free_port
from tests.integration.kafka_io import consume_until, produce

pytestmark = [pytest.mark.kafka, pytest.mark.browser, pytest.mark.asyncio]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
TITLE = "newsstreams dashboard"
SCRIPT_QUOTE = "<script>document.title='pwned'</script> is not a tag"
# The page runs behind a token, as deployed: ?token= for the page and EventSource, a Bearer header for fetch.
TOKEN = "browser-test-token"


@dataclass
class Dashboard:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "health", timeout=2) as response:
            return dict(json.load(response))


def _start_dashboard(env: dict[str, str], log: Path, timeout: float = 60.0) -> Dashboard:
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streams.tools.cli", "dashboard"],
            env={**env, "NEWSSTREAMS_DASHBOARD_PORT": str(port), "NEWSSTREAMS_DASHBOARD_TOKEN": TOKEN},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
    dashboard = Dashboard(f"http://127.0.0.1:{port}/", proc, log)
    deadline = time.monotonic() + timeout
    # Ready ("ok") when it reads every partition of the downstream topics: what is published next is seen.
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dashboard exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if dashboard.health()["status"] == "ok":
                return dashboard
        except OSError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"dashboard not ready after {timeout}s:\n{log.read_text()[-4000:]}")


@pytest.fixture
def dashboard(worker_env: dict[str, str], tmp_path: Path) -> Iterator[Dashboard]:
    """`newsstreams dashboard` as a subprocess in this test's namespace."""
    # The dashboard only reads; the topics come from whoever runs first (here, the test).
    asyncio.run(apply(Settings.from_env(worker_env)))
    d = _start_dashboard(worker_env, tmp_path / "dashboard.log")
    yield d
    d.proc.terminate()
    try:
        d.proc.wait(15)
    except subprocess.TimeoutExpired:
        d.proc.kill()
        d.proc.wait(5)


def _unavailable(why: str) -> None:
    # As for the broker: under CI a missing browser is a failure, never a silent skip.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests under CI=true: {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def playwright_api() -> Any:
    try:
        import playwright.async_api
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium; scripts/setup does it)")
    return playwright.async_api


@pytest_asyncio.fixture
async def page(playwright_api: Any) -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            tab = await context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            tab.errors = errors
            yield tab
        finally:
            await browser.close()


async def open_live(page: Any, dashboard: Dashboard) -> None:
    await page.goto(f"{dashboard.url}?token={TOKEN}")
    # A locator, not wait_for_function: the page's CSP forbids the eval that a string predicate needs.
    await page.locator("#status.live").wait_for(timeout=15_000)
    assert await page.title() == TITLE


async def quote_shown(page: Any, text: str, speaker: str, within: float) -> None:
    item = page.locator("#quotes li.quote", has_text=text)
    await item.first.wait_for(state="visible", timeout=within * 1000)
    assert speaker in await item.first.locator(".speaker").text_content()


def screenshot_path(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


def raw_article(article_id: str, body: str, headline: str) -> tuple[bytes, bytes]:
    event = {
        "id": article_id,
        "source": "browser-test.example",
        "content_type": "text/plain",
        "headline": headline,
        "body": body,
        "published_at": "2026-11-27T09:00:00+00:00",
        "language": "en",
    }
    return article_id.encode(), orjson.dumps(event)


async def test_articles_through_the_worker_show_their_quotes_as_text(
    kafka: Broker, worker: Worker, dashboard: Dashboard, namespace: str, page: Any
) -> None:
    await open_live(page, dashboard)
    started = time.monotonic()
    await produce(
        kafka.bootstrap,
        f"{namespace}news.articles.raw",
        [
            raw_article(
                "browser-1",
                "The city will keep the river crossing open through the winter, officials said on Tuesday.\n\n"
                "“We will keep the bridge open all winter,” said Maria Keller, the city's transport director.\n\n"
                "Engineers inspected the structure last week and found no damage.",
                "Bridge to stay open all winter",
            ),
            raw_article(
                "browser-2",
                "A row broke out on Wednesday over a web page that appeared to show code.\n\n"
                f"“{SCRIPT_QUOTE},” said Jane Doe.\n\n"
                "The page was later changed.",
                "Code on the page",
            ),
        ],
    )
    await quote_shown(page, "We will keep the bridge open all winter", "Maria Keller", within=10)
    await quote_shown(page, SCRIPT_QUOTE, "Jane Doe", within=max(1.0, 10 - (time.monotonic() - started)))
    print(f"\nquotes on the page {time.monotonic() - started:.1f}s after publishing")

    # The markup in the quote is text on the page: visible as written, and nothing ran.
    assert await page.title() == TITLE
    assert await page.locator("#quotes script").count() == 0
    assert SCRIPT_QUOTE in await page.locator("#quotes").inner_text()
    assert not page.errors, page.errors
    # The speakers' entity events reach the trending panel too (refreshed about once a second). The first
    # entry is the person named by the most distinct articles (ties by name), counted here from
    # news.entities: both articles carry one time, so the trailing hour holds them all.
    entities = await consume_until(
        kafka.bootstrap,
        [f"{namespace}news.entities"],
        lambda rs: {"Maria Keller", "Jane Doe"} <= {orjson.loads(r.value)["name"] for r in rs if r.value},
        timeout=10,
    )
    articles: dict[str, set[str]] = {}
    for record in entities:
        event = orjson.loads(record.value) if record.value else {}
        if event.get("type") == "PERSON":
            articles.setdefault(event["name"], set()).add(event["article_id"])
    first = min(articles, key=lambda name: (-len(articles[name]), name.casefold()))
    await page.locator("#people li:first-child button.entity", has_text=first).wait_for(timeout=10_000)
    await page.locator("#people li", has_text="Maria Keller").wait_for(timeout=10_000)
    # The trailing hour ends with the minute pane that holds the newest event time (09:00 → 09:01).
    assert (await page.locator("#people-window").text_content() or "").startswith("1 h to 2026-11-27 09:01Z")
    path = screenshot_path("dashboard.png")
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")

    # The article view: the clean text with the speaker marked as an entity and the quotation marked.
    await page.locator("#quotes li.quote", has_text="keep the bridge open").locator("a.article-link").click()
    await page.locator("#detail h2", has_text="Bridge to stay open all winter").wait_for(timeout=10_000)
    await page.locator("#detail .quoted", has_text="We will keep the bridge open all winter").wait_for()
    speaker = page.locator("#detail button.mention.type-PERSON", has_text="Maria Keller")
    await speaker.wait_for()
    await page.screenshot(path=str(screenshot_path("dashboard-article.png")), full_page=True)
    # Its entity page, a link that can be shared: her article, and her quote in the list below.
    await speaker.click()
    await page.locator("#detail h2", has_text="Maria Keller (PERSON)").wait_for(timeout=10_000)
    assert "entity=" in page.url
    await page.locator("#detail a.article-link", has_text="Bridge to stay open all winter").wait_for()
    await quote_shown(page, "We will keep the bridge open all winter", "Maria Keller", within=10)
    assert await page.locator("#quotes li.quote", has_text="pwned").count() == 0  # filtered to her
    await page.screenshot(path=str(screenshot_path("dashboard-entity.png")), full_page=True)
    assert not page.errors, page.errors


async def test_quote_events_render_live_and_as_text(
    kafka: Broker, dashboard: Dashboard, namespace: str, page: Any, worker_env: dict[str, str], tmp_path: Path
) -> None:
    """The page alone, fed QuoteEvent-shaped JSON on news.quotes (no worker): live push and escaping."""
    await open_live(page, dashboard)
    quote = {
        "event_id": "browser-direct-1",
        "article_id": "direct-1",
        "text": SCRIPT_QUOTE + " <img src=x onerror=\"document.title='pwned'\">",
        "kind": "full",
        "section": "body",
        "paragraph": 1,
        "start": 0,
        "end": 10,
        "source": "direct.example",
        "speaker": {"entity_id": "person:jane-doe", "name": "Jane <b>Doe</b>"},
        "cue": "said",
        "published_at": "2026-11-27T09:00:00+00:00",
    }
    await produce(kafka.bootstrap, f"{namespace}news.quotes", [(b"direct-1", orjson.dumps(quote))])
    await quote_shown(page, SCRIPT_QUOTE, "Jane <b>Doe</b>", within=10)
    await asyncio.sleep(0.5)  # give any injected handler the chance to run
    assert await page.title() == TITLE
    assert await page.locator("#quotes script, #quotes img, #quotes b").count() == 0
    assert not page.errors, page.errors
    await page.screenshot(path=str(screenshot_path("dashboard-direct.png")), full_page=True)

    # A restarted dashboard starts with empty memory and fills it from history. (Stopped first: two
    # live members of the one consumer group would split the partitions between them.)
    dashboard.proc.terminate()
    await asyncio.to_thread(dashboard.proc.wait, 15)
    second = await asyncio.to_thread(_start_dashboard, worker_env, tmp_path / "dashboard-2.log")
    try:
        request = urllib.request.Request(
            second.url + "api/quotes", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        deadline = time.monotonic() + 10
        texts: list[str] = []
        while time.monotonic() < deadline and not texts:
            with await asyncio.to_thread(urllib.request.urlopen, request, timeout=2) as response:
                texts = [q["text"] for q in json.load(response)["quotes"]]
            await asyncio.sleep(0.2)
        assert texts == [quote["text"]]
    finally:
        second.proc.terminate()
        second.proc.wait(15)


async def test_a_quote_read_before_its_article_shows_the_headline_once_the_article_arrives(
    kafka: Broker, dashboard: Dashboard, namespace: str, page: Any
) -> None:
    """Topics are read in any order: the quote comes first, its enriched article after; the page joins them."""
    await open_live(page, dashboard)
    quote = {
        "event_id": "browser-order-1",
        "article_id": "order-1",
        "text": "The order of topics does not matter",
        "kind": "full",
        "section": "body",
        "paragraph": 1,
        "start": 0,
        "end": 10,
        "source": "order.example",
        "speaker": {"entity_id": "person:ann-order", "name": "Ann Order"},
        "cue": "said",
        "published_at": None,
    }
    await produce(kafka.bootstrap, f"{namespace}news.quotes", [(b"order-1", orjson.dumps(quote))])
    await quote_shown(page, quote["text"], "Ann Order", within=10)
    item = page.locator("#quotes li.quote", has_text=quote["text"]).first
    assert await item.locator(".headline").count() == 0
    assert "no time given" in (await item.locator("time").text_content() or "")
    enriched = {
        "event_id": "browser-order-article-1",
        "article_id": "order-1",
        "source": "order.example",
        "uri": "https://order.example/news/1",
        "headlines": [{"role": "main", "value": "Order does not matter"}],
    }
    await produce(
        kafka.bootstrap, f"{namespace}news.articles.enriched", [(b"order-1", orjson.dumps(enriched))]
    )
    link = item.locator("a.headline", has_text="Order does not matter")
    await link.wait_for(timeout=10_000)
    assert await link.get_attribute("href") == "https://order.example/news/1"
    # A reload builds the page from the snapshot: the headline is there too.
    await open_live(page, dashboard)
    await page.locator("#quotes li.quote a.headline", has_text="Order does not matter").wait_for(
        timeout=10_000
    )
    assert not page.errors, page.errors
    await page.screenshot(path=str(screenshot_path("dashboard-headline.png")), full_page=True)


async def test_after_a_minute_of_the_demo_feed_each_panel_leads_with_the_most_named_key(
    kafka: Broker, worker: Worker, dashboard: Dashboard, namespace: str, page: Any, worker_env: dict[str, str]
) -> None:
    """The demo's continuous feed for a minute; the page's panels against counts made here from news.entities."""
    await open_live(page, dashboard)
    settings = Settings.from_env(worker_env)
    sent = await stream(settings, rate=2.0, limit=120)
    assert sent == 120
    # Every article's entities are out once every article's enriched event is.
    await consume_until(
        kafka.bootstrap,
        [f"{namespace}news.articles.enriched"],
        lambda rs: len({r.key for r in rs}) >= sent,
        timeout=180,
    )
    records = await consume_until(kafka.bootstrap, [f"{namespace}news.entities"], lambda rs: False, timeout=5)
    articles: dict[str, set[str]] = {}
    latest: dict[str, tuple[str, str]] = {}  # entity id -> (name, type) of its last event
    for record in records:
        event = orjson.loads(record.value) if record.value else {}
        articles.setdefault(event["entity_id"], set()).add(event["article_id"])
        latest[event["entity_id"]] = (event["name"], event["type"])
    # All 120 articles are dated within the last two minutes: every one lies in the trailing hour.
    for group, types in {"people": {"PERSON"}, "organisations": {"ORG"}, "places": {"GPE", "LOC"}}.items():
        keys = [k for k in articles if latest[k][1] in types]
        first = min(keys, key=lambda k: (-len(articles[k]), latest[k][0].casefold(), k))
        entry = page.locator(f"#{group} li:first-child")
        await entry.locator("button.entity", has_text=latest[first][0]).wait_for(timeout=15_000)
        assert (await entry.locator(".count").text_content() or "").strip() == str(len(articles[first]))
    await page.screenshot(path=str(screenshot_path("dashboard-demo-feed.png")), full_page=True)
    assert not page.errors, page.errors


# ---- withdrawals: a killed article's quote leaves the open page ---------------------------------

KILLED_QUOTE = "The minister will resign by Friday"
KEPT_QUOTE = "The budget passes next week"
WITHDRAWN_WITHIN = 5.0  # issue 23: a killed article's quote disappears from the open dashboard within 5 s


async def gone_within(item: Any, started: float) -> float:
    """Seconds from `started` until `item` (a page locator) matches nothing; fails past WITHDRAWN_WITHIN."""
    while await item.count():
        elapsed = time.monotonic() - started
        assert elapsed <= WITHDRAWN_WITHIN, f"the killed quote was still on the page after {elapsed:.1f}s"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def kill_fixture_events() -> dict[str, Any]:
    """The worker's wire form of two articles' quotes, the first one's enriched article, and its withdrawal."""
    when = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def quote_event(article_id: str, text: str, speaker: tuple[str, str]) -> records.QuoteEvent:
        return records.QuoteEvent(
            event_id=f"browser-kill-quote-{article_id}",
            article_id=article_id,
            text=text,
            kind="full",
            section="body",
            paragraph=0,
            start=1,
            end=1 + len(text),
            source="kill.example",
            speaker=records.Speaker(entity_id=speaker[0], name=speaker[1]),
            cue="said",
            version=1,
            published_at=when,
        )

    killed = quote_event("kill-1", KILLED_QUOTE, ("person:ola-berg", "Ola Berg"))
    return {
        "killed": killed,
        "kept": quote_event("kill-2", KEPT_QUOTE, ("person:ida-lund", "Ida Lund")),
        "article": records.EnrichedArticle(
            event_id="browser-kill-article-1",
            uri="https://kill.example/news/1",
            type="text",
            version="1",
            headlines=[{"role": "main", "value": "Minister to resign"}],
            bodies=[
                {"role": "text", "contenttype": "text/plain", "value": f"“{KILLED_QUOTE},” said Ola Berg."}
            ],
            people=[],
            organisations=[],
            places=[],
            subjects=[],
            entities=[],
            quotes=[],
            keyphrases=[],
            firstcreated=when,
            language="en",
            article_id="kill-1",
            source="kill.example",
        ),
        "retraction": records.Retraction(
            event_id="browser-kill-retraction-1",
            retracts=killed.event_id,
            article_id="kill-1",
            kind="quote",
            reason="canceled",
            version=1,
            retracted_at=when,
        ),
        "unknown": records.Retraction(
            event_id="browser-kill-retraction-unknown",
            retracts="browser-kill-no-such-event",
            article_id="kill-2",
            kind="quote",
            reason="canceled",
        ),
    }


async def _api(dashboard: Dashboard, path: str) -> tuple[int, Any]:
    request = urllib.request.Request(dashboard.url + path, headers={"Authorization": f"Bearer {TOKEN}"})

    def get() -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            return exc.code, None

    return await asyncio.to_thread(get)


async def test_a_killed_article_s_quote_leaves_the_open_page_within_5_seconds(
    kafka: Broker, dashboard: Dashboard, namespace: str, page: Any
) -> None:
    """The page alone, fed what the worker publishes for a kill: the Retraction on news.quotes (the quote's
    own key) and the tombstone on news.articles.enriched. An unknown id withdraws nothing."""
    events = kill_fixture_events()
    quotes, enriched = f"{namespace}news.quotes", f"{namespace}news.articles.enriched"
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()

    async def send(topic: str, key: str, event: records.Event | None) -> None:
        # The worker's binary-mode CloudEvents: the JSON body, and the type in the ce_type header.
        headers = list(records.cloudevent_headers(event).items()) if event else []
        value = records.to_json(event) if event else None
        await producer.send_and_wait(topic, value=value, key=key.encode(), headers=headers)

    try:
        await open_live(page, dashboard)
        # A second tab holds the killed article's view open.
        article_tab = await page.context.new_page()
        await send(enriched, "kill-1", events["article"])
        await send(quotes, "kill-1", events["killed"])
        await send(quotes, "kill-2", events["kept"])
        await quote_shown(page, KILLED_QUOTE, "Ola Berg", within=10)
        await quote_shown(page, KEPT_QUOTE, "Ida Lund", within=10)
        killed_item = page.locator("#quotes li.quote", has_text=KILLED_QUOTE)
        await killed_item.locator(".headline", has_text="Minister to resign").wait_for(timeout=10_000)
        await article_tab.goto(f"{dashboard.url}?article=kill-1&token={TOKEN}")
        await article_tab.locator("#detail h2", has_text="Minister to resign").wait_for(timeout=10_000)
        await article_tab.locator("#detail .quoted", has_text=KILLED_QUOTE).wait_for(timeout=10_000)

        # A retraction of an id the dashboard never read: once it is read, every view is as it was.
        _, before = await _api(dashboard, "api/quotes")
        applied = dashboard.health()["applied"].get("news.quotes", 0)
        await send(quotes, "kill-2", events["unknown"])
        deadline = time.monotonic() + 10
        while dashboard.health()["applied"].get("news.quotes", 0) < applied + 1:
            assert time.monotonic() < deadline, "the dashboard did not read the unknown retraction"
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # anything it had pushed would have reached the page by now
        _, after = await _api(dashboard, "api/quotes")
        assert [q["text"] for q in after["quotes"]] == [q["text"] for q in before["quotes"]]
        # (Two keys, so maybe two partitions: read in either order.)
        assert sorted(q["text"] for q in before["quotes"]) == [KEPT_QUOTE, KILLED_QUOTE]
        assert await page.locator("#quotes li.quote").count() == 2
        assert dashboard.health()["withdrawn"] == {}

        # The kill: its quote's Retraction and the article's tombstone, timed from the first send.
        started = time.monotonic()
        await send(quotes, "kill-1", events["retraction"])
        await send(enriched, "kill-1", None)
        elapsed = await gone_within(killed_item, started)
        print(f"\nkilled quote gone from the open page {elapsed:.2f}s after publishing the kill")
        assert elapsed <= WITHDRAWN_WITHIN
        # The other article's quote stays; the killed article's open view says it is gone.
        assert await page.locator("#quotes li.quote", has_text=KEPT_QUOTE).count() == 1
        await article_tab.locator("#detail .empty", has_text="not held here").wait_for(
            timeout=WITHDRAWN_WITHIN * 1000
        )
        assert await article_tab.locator("#detail .quoted").count() == 0
        assert (await _api(dashboard, "api/article?id=kill-1"))[0] == 404
        assert dashboard.health()["withdrawn"] == {"quote": 1, "article": 1}
        # A reload builds the page from the snapshot: the quote is not there either.
        await open_live(page, dashboard)
        await page.locator("#quotes li.quote", has_text=KEPT_QUOTE).wait_for(timeout=10_000)
        assert await page.locator("#quotes li.quote", has_text=KILLED_QUOTE).count() == 0
        await page.screenshot(path=str(screenshot_path("dashboard-killed.png")), full_page=True)
        assert not page.errors, page.errors
    finally:
        await producer.stop()


# The kill forms a feed sends on news.articles.raw: a status alone (straight to the article's gate), a status
# with the article's source (by the clean stage, as a ninjs feed's update), and a Kafka tombstone.
RAW_KILLS = {
    "status": {"id": "worker-kill-1", "pubstatus": "canceled"},
    "status-with-source": {"id": "worker-kill-1", "source": "browser-test.example", "pubstatus": "withheld"},
    "tombstone": None,
}


@pytest.mark.parametrize("form", list(RAW_KILLS))
async def test_a_quote_killed_on_the_raw_topic_leaves_the_open_page_within_5_seconds(
    kafka: Broker, worker: Worker, dashboard: Dashboard, namespace: str, page: Any, form: str
) -> None:
    """As in production: raw articles through the worker to the open page, then a raw kill message; the
    worker's gate, enrich stage and the dashboard take the quote off the page within 5 s of producing it."""
    raw = f"{namespace}news.articles.raw"
    killed = "We will close the harbour to ferries on Sunday"
    kept = "The ferries will run again on Monday"
    await open_live(page, dashboard)
    await produce(
        kafka.bootstrap,
        raw,
        [
            raw_article(
                "worker-kill-1",
                "The port authority announced changes to the weekend timetable on Thursday.\n\n"
                f"“{killed},” said Nora Vik, the harbour master.\n\n"
                "Passengers were told to check the timetable before travelling.",
                "Harbour closed to ferries on Sunday",
            ),
            raw_article(
                "worker-kill-2",
                "The ferry company answered the port authority on Friday.\n\n"
                f"“{kept},” said Leif Dahl, the company's chief executive.\n\n"
                "Tickets bought for Sunday will be refunded.",
                "Ferries back on Monday",
            ),
        ],
    )
    await quote_shown(page, killed, "Nora Vik", within=60)
    await quote_shown(page, kept, "Leif Dahl", within=30)
    killed_item = page.locator("#quotes li.quote", has_text=killed)

    # The kill as a feed sends it; timed from before the producer is even started.
    kill = RAW_KILLS[form]
    value = None if kill is None else orjson.dumps(kill)
    started = time.monotonic()
    await produce(kafka.bootstrap, raw, [(b"worker-kill-1", value)])  # type: ignore[list-item]
    elapsed = await gone_within(killed_item, started)
    print(f"\nkilled quote gone from the open page {elapsed:.2f}s after producing the raw kill ({form})")
    assert elapsed <= WITHDRAWN_WITHIN
    assert await page.locator("#quotes li.quote", has_text=kept).count() == 1
    _, listed = await _api(dashboard, "api/quotes")
    assert [q["text"] for q in listed["quotes"]] == [kept + ","]
    assert not page.errors, page.errors
