"""The dashboard's HTTP side: the page, its assets, JSON views and the server-sent event stream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from streams.exposure import bearer_ok, check_bind
from streams.settings import Settings
from streams.web.feed import Feed, consume
from streams.web.state import GROUPS, SPANS, DashboardState, Hub, Item

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"


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


@web.middleware
async def _guard(request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
    expected = request.app[SETTINGS].dashboard_token
    if (
        expected
        and request.path not in OPEN_PATHS
        and not bearer_ok(request.headers, request.query, expected)
    ):
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
    span = request.query.get("span", "hour")
    if span not in SPANS:
        raise web.HTTPBadRequest(text=f"span must be one of {', '.join(SPANS)}")
    rows, window = request.app[STATE].panel(types, source, entity, limit, span)
    return _json({"trending": rows, "window": window})


async def api_article(request: web.Request) -> web.Response:
    view = request.app[STATE].article_view(request.query.get("id", ""))
    if view is None:
        raise web.HTTPNotFound(text="no such article in the dashboard's memory")
    return _json(view)


async def api_entity(request: web.Request) -> web.Response:
    view = request.app[STATE].entity_view(request.query.get("id", ""))
    if view is None:
        raise web.HTTPNotFound(text="no such entity in the dashboard's memory")
    return _json(view)


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
    app.router.add_get("/api/article", api_article)
    app.router.add_get("/api/entity", api_entity)
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
    """Start the dashboard in the running event loop (consumer and web server); stop with `.stop()`.
    Raises ExposureRefused, before anything starts, for a bind beyond loopback without a real token."""
    check_bind(
        "the dashboard", settings.dashboard_host, settings.dashboard_token, "NEWSSTREAMS_DASHBOARD_TOKEN"
    )
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
