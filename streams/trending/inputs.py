"""What trending reads from news.entities and news.topics: the topic's event, or a Retraction of one.

Both shapes travel on the same topic and key (the contract), so trending's topic objects decode each value
by its payload: a value with `retracts` is a Retraction, any other the topic's event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import faust
from faust.exceptions import ValueDecodeError
from faust.types import AppT
from faust.types.codecs import CodecArg
from faust.types.tuples import Message

from streams.events.records import EntityEvent, Event, Retraction, TopicEvent
from streams.trending.panes import Contribution


class WithRetractions(faust.Schema):
    """A topic's event type or a Retraction. By the payload, not the `ce_type` header: a producer that sets
    no CloudEvents headers (a replay tool, a test) is read the same. An undecodable value fails as it does
    on any typed topic (Faust's ValueDecodeError)."""

    def __init__(self, event: type[Event]) -> None:
        # No value_type: Faust reuses one decoded event for every channel of a topic with the same key and
        # value types, and the flow's own topic object of this name is typed with the event alone.
        super().__init__(key_type=str, key_serializer="raw", value_serializer="orjson")
        self.event = event

    def loads_value(
        self,
        app: AppT,
        message: Message,
        *,
        loads: Callable[..., Any] | None = None,
        serializer: CodecArg | None = None,
    ) -> Any:
        loads = loads or app.serializers.loads_value
        data = loads(None, message.value, serializer=serializer or self.value_serializer)
        typ = Retraction if isinstance(data, dict) and "retracts" in data else self.event
        try:
            return typ.from_data(data, preferred_type=typ)
        except Exception as exc:  # missing or mistyped fields: what Faust raises for a typed topic
            raise ValueDecodeError(f"not a {typ.__name__}: {exc}") from exc


def event_time(event: faust.EventT) -> float:
    """When an entity or topic event happened: its article's `published_at`, else (an article with no
    date) the Kafka timestamp of the message carrying it."""
    when = getattr(event.value, "published_at", None)
    return when.timestamp() if when is not None else float(event.message.timestamp)


def retracted_key(kind: str, retraction: Retraction) -> str | None:
    """The key whose count a retraction takes an article out of: its entity or topic code; None when it
    withdraws no event trending counts (another kind, or no key named)."""
    if retraction.kind != kind:
        return None
    return retraction.entity_id if kind == "entity" else retraction.topic


def contribution(kind: str, event: faust.EventT) -> Contribution | None:
    """The contribution one input makes to trending of `kind` (entity | topic), or None."""
    value = cast(EntityEvent | TopicEvent | Retraction, event.value)
    offset = event.message.offset
    if isinstance(value, Retraction):
        key = retracted_key(kind, value)
        if key is None:
            return None
        # A retraction's time is the pane it takes the article from, known only where it was counted.
        return Contribution(kind, key, "", value.article_id, int(value.version or 0), 0.0, offset, True)
    key, name = (
        (value.entity_id, value.name) if isinstance(value, EntityEvent) else (value.topic, value.label)
    )
    return Contribution(kind, key, name, value.article_id, int(value.version or 1), event_time(event), offset)
