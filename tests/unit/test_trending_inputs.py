"""Trending inputs: news.entities and news.topics values decode as their event or as a Retraction of one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import faust
import pytest
from faust.exceptions import ValueDecodeError
from faust.types.tuples import Message

from streams.events.records import EntityEvent, Mention, Retraction, TopicEvent, to_json
from streams.trending.inputs import WithRetractions, contribution
from streams.trending.panes import Contribution

pytestmark = pytest.mark.asyncio
WHEN = datetime(2026, 3, 3, 12, 0, 5, tzinfo=UTC)


def entity() -> EntityEvent:
    return EntityEvent(
        event_id="e1",
        article_id="art-1",
        entity_id="person:ada",
        name="Ada",
        type="PERSON",
        mentions=[Mention(text="Ada", section="body", paragraph=0, start=0, end=3)],
        salience=0.5,
        source="inputs.example",
        version=2,
        published_at=WHEN,
    )


def retraction(**fields: Any) -> Retraction:
    base: dict[str, Any] = {
        "event_id": "r1",
        "retracts": "e1",
        "article_id": "art-1",
        "kind": "entity",
        "reason": "canceled",
        "entity_id": "person:ada",
    }
    return Retraction(**{**base, **fields})


async def decoded(event_type: type, value: bytes, offset: int = 7) -> faust.EventT:
    # async: inside the test's running loop, Faust makes no event loop of its own
    app = faust.App("inputs-test", broker="kafka://127.0.0.1:1")
    topic = app.topic("news.entities", schema=WithRetractions(event_type))
    message = Message("news.entities", 0, offset, 0.0, 0, [], b"person:ada", value, None)
    return await topic.decode(message, propagate=True)


async def test_an_entity_event_and_a_retraction_on_one_topic_each_decode_as_themselves() -> None:
    event = await decoded(EntityEvent, to_json(entity()))
    assert isinstance(event.value, EntityEvent) and event.key == "person:ada"
    assert contribution("entity", event) == Contribution(
        "entity", "person:ada", "Ada", "art-1", 2, WHEN.timestamp(), 7
    )
    withdrawn = await decoded(EntityEvent, to_json(retraction(version=3)), offset=8)
    assert isinstance(withdrawn.value, Retraction)
    assert contribution("entity", withdrawn) == Contribution(
        "entity", "person:ada", "", "art-1", 3, 0.0, 8, retract=True
    )


async def test_a_topic_retraction_names_its_code_and_one_of_another_kind_counts_for_nothing() -> None:
    topic = await decoded(
        TopicEvent, to_json(retraction(kind="topic", entity_id=None, topic="medtop:11000000"))
    )
    made = contribution("topic", topic)
    assert made is not None and (made.key, made.retract) == ("medtop:11000000", True)
    quote = await decoded(TopicEvent, to_json(retraction(kind="quote", entity_id=None)))
    assert contribution("topic", quote) is None


async def test_a_value_that_is_neither_fails_to_decode_as_on_any_typed_topic() -> None:
    with pytest.raises(ValueDecodeError):
        await decoded(EntityEvent, b'{"article_id": "art-1"}')
    with pytest.raises(ValueDecodeError):
        await decoded(EntityEvent, b'{"retracts": "e1"}')  # a retraction that lacks its fields
