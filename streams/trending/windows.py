"""Trending: event-time windowed counts of entity and topic mentions, published for dashboards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import faust
from faust.tables.wrappers import WindowWrapper

from streams.events import flow
from streams.events.flow import Outgoing, Topics
from streams.events.records import EntityEvent, TopicEvent, TrendingCount, event_id
from streams.settings import Settings
from streams.worker.delivery import Delivery


@dataclass(frozen=True)
class Window:
    """One window family: `size` seconds long, a new one every `step` seconds."""

    name: str
    size: float
    step: float


TUMBLING_MINUTE = Window("1m", 60.0, 60.0)
HOPPING_HOUR = Window("1h/5m", 3600.0, 300.0)


def latest_window_start(timestamp: float, window: Window) -> float:
    """Start of the newest window of `window` that holds `timestamp` (windows start on multiples of step)."""
    return timestamp - (timestamp % window.step)


def rising(count: int, previous: int) -> float:
    """-1 (gone) … 0 (steady) … 1 (new): how fast a key rises against the window before."""
    return 0.0 if count + previous == 0 else round((count - previous) / (count + previous), 4)


def trending_event(
    *,
    key: str,
    kind: str,
    name: str,
    window: Window,
    timestamp: float,
    count: int,
    previous: int,
    pipeline_version: str,
) -> TrendingCount:
    """The trending record for `key` in the window of `timestamp` (one id per key and window)."""
    start = latest_window_start(timestamp, window)
    return TrendingCount(
        event_id=event_id("trending", window.name, key, start),
        key=key,
        kind=kind,
        name=name,
        window=window.name,
        window_start=datetime.fromtimestamp(start, UTC),
        window_end=datetime.fromtimestamp(start + window.size, UTC),
        count=count,
        previous_count=previous,
        rising=rising(count, previous),
        pipeline_version=pipeline_version,
    )


def event_time(event: faust.EventT | None) -> float:
    """When an entity or topic event happened: its article's `published_at`, else (an article with no
    date) the Kafka timestamp of the message carrying it. Windows and the watermark both use it."""
    if event is None:
        raise RuntimeError("a trending window was updated outside its stream")
    when = getattr(event.value, "published_at", None)
    return when.timestamp() if when is not None else float(event.message.timestamp)


def is_too_late(timestamp: float, newest: float, grace: float) -> bool:
    """Past the grace period behind the newest event time seen, a window is closed."""
    return timestamp < newest - grace


def register(app: faust.App, topics: Topics, settings: Settings, delivery: Delivery) -> None:
    """Add the trending tables and agents to `app`."""
    grace = settings.trending_grace

    def windowed(kind: str, name: str, size: float, keep: float) -> faust.types.tables.WindowWrapperT:
        table = app.Table(
            f"trending-{kind}-{name}",
            default=int,
            partitions=settings.partitions,
            store=settings.trending_store,
            options=settings.table_options(settings.trending_store),
        )
        # Windows are kept `keep` seconds past their end, so a late event still finds its window.
        windows = table.tumbling(size, expires=timedelta(seconds=keep))
        # relative_to_field(published_at) would hand the window a None for an undated article, and the
        # agent would crash on each such event.
        return cast(WindowWrapper, windows).relative_to(event_time)  # the protocol type lacks relative_to

    # The hour windows are sums of five-minute panes: an event updates two windowed tables (a minute, a
    # pane) instead of the 13 windows a Faust hopping table writes, each with its changelog record.
    # Panes are kept two hours past their end: an hour and the hour before it are summed from them.
    hour = HOPPING_HOUR
    tables = {
        (kind, window): windowed(kind, window, size, keep)
        for kind in ("entity", "topic")
        for window, size, keep in (
            (TUMBLING_MINUTE.name, TUMBLING_MINUTE.size, TUMBLING_MINUTE.size + grace),
            ("5m", hour.step, 2 * hour.size + grace),
        )
    }
    panes_per_hour = round(hour.size / hour.step)
    # Event time advances per input partition (as a watermark does): partitions are read interleaved,
    # so one partition's newer events must not make another partition's on-time events "late".
    newest: dict[tuple[str, int], float] = {}

    async def count(kind: str, key: str, name: str, event: faust.EventT) -> None:
        timestamp = event_time(event)
        where = (kind, event.message.partition)
        newest[where] = max(newest.get(where, timestamp), timestamp)
        if is_too_late(timestamp, newest[where], grace):
            return
        minutes = tables[(kind, TUMBLING_MINUTE.name)]
        minutes[key] += 1
        by_minute = minutes[key]
        # value() follows the table's relative_to (event time); the window before is looked up by its range.
        current = by_minute.value(event)
        previous = by_minute[cast(Any, by_minute.table).window.current(timestamp - TUMBLING_MINUTE.size)]
        await publish(kind, key, name, TUMBLING_MINUTE, timestamp, current, previous)

        panes = tables[(kind, "5m")]
        panes[key] += 1
        by_pane = panes[key]
        pane_window = cast(Any, by_pane.table).window

        def hour_from(start: float) -> int:
            return sum(by_pane[pane_window.current(start + n * hour.step)] for n in range(panes_per_hour))

        # The newest hopping hour holding the event, and the hour before that one.
        start = latest_window_start(timestamp, hour)
        await publish(kind, key, name, hour, timestamp, hour_from(start), hour_from(start - hour.size))

    async def publish(
        kind: str, key: str, name: str, w: Window, timestamp: float, current: int, previous: int
    ) -> None:
        out = trending_event(
            key=key,
            kind=kind,
            name=name,
            window=w,
            timestamp=timestamp,
            count=current,
            previous=previous,
            pipeline_version=settings.pipeline_version,
        )
        await delivery.send(Outgoing(flow.TRENDING, key, out))

    # EntityEvent (keyed by entity id) ──count──► TrendingCount per entity and window
    @app.agent(topics.entities, name="trending-entities")
    async def trending_entities(stream: faust.StreamT[EntityEvent]) -> None:
        async for event in stream.events():
            e = event.value
            await count("entity", e.entity_id, e.name, event)

    # TopicEvent (keyed by article id) ──by topic──► TrendingCount per IPTC topic and window
    @app.agent(topics.topics, name="trending-topics")
    async def trending_topics(stream: faust.StreamT[TopicEvent]) -> None:
        async for event in stream.group_by(
            cast(faust.types.FieldDescriptorT, TopicEvent.topic), name="trending-topics-by-code"
        ).events():
            t = event.value
            await count("topic", t.topic, t.label, event)
