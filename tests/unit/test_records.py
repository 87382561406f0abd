"""Events serialise to plain JSON, round-trip as Records, and carry deterministic CloudEvents ids."""

from datetime import UTC, datetime

import orjson

from streams.events import flow
from streams.events.deadletter import dead_letter, original_bytes
from streams.events.errors import Reason, Rejected
from streams.events.records import Byline, CleanArticle, cloudevent_headers, event_id, to_json


def _article() -> CleanArticle:
    return CleanArticle(
        event_id=event_id("a1", 1, "0.1.0", "clean"),
        article_id="a1",
        version=1,
        source="example",
        content_type="text/plain",
        content_hash="h",
        paragraphs=["One.", "Two."],
        byline=[Byline(name="Rob Merrick", role="Deputy Political Editor")],
        published_at=datetime(2017, 12, 22, 9, 32, tzinfo=UTC),
    )


def test_clean_article_is_plain_json_and_round_trips() -> None:
    wire = to_json(_article())
    data = orjson.loads(wire)
    assert "__faust" not in data
    assert data["published_at"] == "2017-12-22T09:32:00+00:00"
    assert data["byline"] == [{"name": "Rob Merrick", "role": "Deputy Political Editor"}]
    back = CleanArticle.loads(wire, serializer="orjson")
    assert back.byline[0].role == "Deputy Political Editor"
    assert back.published_at == datetime(2017, 12, 22, 9, 32, tzinfo=UTC)


def test_event_ids_are_deterministic_and_discriminating() -> None:
    assert event_id("a1", 1, "0.1.0", "clean") == event_id("a1", 1, "0.1.0", "clean")
    assert event_id("a1", 1, "0.1.0", "clean") != event_id("a1", 2, "0.1.0", "clean")
    assert event_id("a1", 1, "0.1.0", "clean") != event_id("a1", 1, "0.2.0", "clean")
    assert event_id(b"\xff") != event_id(b"\xfe")


def test_cloudevent_headers_name_the_event() -> None:
    article = _article()
    headers = cloudevent_headers(article)
    assert headers["ce_id"] == article.event_id.encode()
    assert headers["ce_type"] == b"news.article.clean"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_time"] == b"2017-12-22T09:32:00+00:00"
    assert headers["content-type"] == b"application/json"


def test_dead_letter_keeps_the_original_bytes() -> None:
    binary = b"\x89PNG\r\n\x1a\n\x00\x00"
    letter = dead_letter(
        stage="intake",
        error=Rejected(Reason.BINARY, "not text"),
        key=b"k1",
        value=binary,
        topic="news.articles.raw",
        pipeline_version="0.1.0",
    )
    assert letter.reason == "binary"
    assert letter.original_encoding == "base64"
    assert original_bytes(letter) == binary
    crash = dead_letter(
        stage="clean", error=KeyError("x"), key=None, value=b"{}", topic="t", pipeline_version="0.1.0"
    )
    assert crash.reason == "stage_error"
    assert original_bytes(crash) == b"{}"


def test_flow_declares_each_topic_once_in_order() -> None:
    names = [spec.name for spec in flow.FLOW]
    assert len(names) == len(set(names))
    assert names[0] == "news.articles.raw"
    assert names[-1] == "news.deadletter"
    assert {s.name for s in flow.PUBLIC} >= {"news.entities", "news.quotes", "news.topics"}
