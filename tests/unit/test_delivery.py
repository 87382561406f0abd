"""Dead letters name where an input came from, and never trust origin headers on a public topic."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from streams.events import flow
from streams.events.errors import Reason, Rejected
from streams.events.flow import Outgoing, Topics
from streams.settings import Settings
from streams.worker.delivery import ORIGIN_KEY, ORIGIN_TOPIC, Delivery


class _Topic:
    def __init__(self, name: str, sent: list[Any]) -> None:
        self.name, self.sent = name, sent

    def get_topic_name(self) -> str:
        return self.name

    async def send(
        self, *, key: bytes, value: Any, headers: dict[str, Any], partition: int | None = None
    ) -> None:
        self.sent.append(value)


def _delivery() -> tuple[Delivery, list[Any]]:
    sent: list[Any] = []
    names = (
        "raw",
        "raw_by_source",
        "syndication",
        "gate",
        "kills",
        "clean",
        "enriched",
        "entities",
        "quotes",
    )
    names += ("topics",)
    names += ("people_learned", "trending", "deadletter")
    topics = SimpleNamespace(**{n: _Topic(f"news.{n}", sent) for n in names})
    return Delivery(cast(Topics, topics), Settings()), sent


def _event(topic: str, headers: dict[str, bytes]) -> Any:
    value = b'{"id": "a1"}'
    return SimpleNamespace(
        key=b"a1", value=value, headers=headers, message=SimpleNamespace(topic=topic, value=value)
    )


def _refuse(topic: str, headers: dict[str, bytes]) -> Any:
    delivery, sent = _delivery()
    asyncio.run(delivery.refuse("clean", Rejected(Reason.EMPTY_BODY, "empty"), _event(topic, headers)))
    [letter] = sent
    return letter


def test_the_by_source_topic_names_the_articles_first_key_and_topic() -> None:
    letter = _refuse("news.raw_by_source", {ORIGIN_KEY: b"feed-key", ORIGIN_TOPIC: b"news.articles.raw"})
    assert (letter.original_key, letter.original_topic) == ("feed-key", "news.articles.raw")


def test_origin_headers_on_the_public_raw_topic_are_ignored() -> None:
    forged = {ORIGIN_KEY: b"someone-else", ORIGIN_TOPIC: b"news.articles.clean"}
    letter = _refuse("news.raw", forged)
    assert (letter.original_key, letter.original_topic) == ("a1", "news.raw")


def test_an_origin_header_that_is_not_utf8_never_breaks_the_letter() -> None:
    assert _refuse("news.raw", {ORIGIN_TOPIC: b"\xff\xfe"}).original_topic == "news.raw"
    assert _refuse("news.raw_by_source", {ORIGIN_TOPIC: b"\xff\xfe"}).original_topic == "news.raw_by_source"


def test_a_refusal_goes_to_the_dead_letter_topic() -> None:
    delivery, _ = _delivery()
    out: list[Outgoing] = []

    async def capture(o: Outgoing) -> None:
        out.append(o)

    delivery.send = capture  # type: ignore[method-assign]
    asyncio.run(delivery.refuse("intake", ValueError("boom"), _event("news.raw", {})))
    assert [o.spec for o in out] == [flow.DEADLETTER] and out[0].event.reason == Reason.STAGE_ERROR
