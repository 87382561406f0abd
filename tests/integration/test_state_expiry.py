"""State expiry through the broker: an article version more than state_days (event time) behind the
watermark is deleted with a changelog tombstone, and so is what the enrich stage remembers the article
published; a worker restarted on an empty data directory, which recovers its tables from the changelogs, has
forgotten it while it still knows one 29 days behind.

Which article is expired is known from the publication dates the test sets (40 and 29 days before the
newest, against the default 31 days), never from the code under test.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tests.integration.conftest import Broker
from tests.integration.kafka_io import consume_until, produce, values
from tests.reliability.conftest import worker_on

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]
SOURCE = "ledger.example"
NEWEST = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def raw(article_id: str, days_before_newest: float) -> tuple[bytes, bytes]:
    published = NEWEST - timedelta(days=days_before_newest)
    body = (
        f"Story {article_id}: the harbour council met on {published:%A} and agreed a budget for the district."
    )
    doc = {
        "id": article_id,
        "source": SOURCE,
        "content_type": "text/plain",
        "headline": f"Harbour story {article_id}",
        "published_at": published.isoformat(),
        "body": body,
    }
    return article_id.encode(), orjson.dumps(doc)


async def test_an_expired_version_is_gone_after_a_restart_that_recovers_from_the_changelog(
    kafka: Broker, worker_env: dict[str, str], namespace: str, tmp_path: Path
) -> None:
    # One partition: the articles are cleaned in the order they are sent.
    env = {**worker_env, "NEWSSTREAMS_PARTITIONS": "1"}
    raw_topic, clean_topic = f"{namespace}news.articles.raw", f"{namespace}news.articles.clean"
    changelog = f"{namespace}newsstreams-clean-article-versions-changelog"
    published = f"{namespace}newsstreams-enrich-published-changelog"

    def cleaned(records: list, article_id: str) -> list[dict]:
        return [v for v in values(records, clean_topic) if v["article_id"] == article_id]

    first = worker_on(env, tmp_path / "first.log", NEWSSTREAMS_DATA_DIR=str(tmp_path / "data-first"))
    try:
        await asyncio.to_thread(first.start)
        await produce(kafka.bootstrap, raw_topic, [raw("old", 40), raw("mid", 29), raw("new", 0)])

        def tombstoned(records: list, topic: str = changelog) -> bool:
            return any(r.topic == topic and r.value is None and b"old" in r.key for r in records)

        records = await consume_until(
            kafka.bootstrap,
            [clean_topic, changelog, published],
            lambda r: len(values(r, clean_topic)) >= 3 and tombstoned(r) and tombstoned(r, published),
            90,
        )
        assert first.proc is not None and first.proc.poll() is None
    finally:
        first.stop()
    assert [v["article_id"] for v in values(records, clean_topic)] == ["old", "mid", "new"]
    # "new" moved the watermark 40 days past "old": its entry was deleted, with a tombstone, in the clean
    # stage's versions and in the enrich stage's record of what it published; "mid" stays in both.
    assert tombstoned(records) and tombstoned(records, published)
    for topic in (changelog, published):
        assert not any(r.topic == topic and r.value is None and b"mid" in r.key for r in records)

    # A new data directory: the tables are recovered from their changelogs alone.
    second = worker_on(env, tmp_path / "second.log", NEWSSTREAMS_DATA_DIR=str(tmp_path / "data-second"))
    try:
        await asyncio.to_thread(second.start)
        await produce(kafka.bootstrap, raw_topic, [raw("old", 40), raw("mid", 29), raw("after", -0.5)])
        records = await consume_until(kafka.bootstrap, [clean_topic], lambda r: bool(cleaned(r, "after")), 60)
        assert second.proc is not None and second.proc.poll() is None
    finally:
        second.stop()
    # "old" was forgotten: the same content is cleaned again, as a first version. "mid" (29 days behind)
    # is still known: the same content again is nothing new.
    assert [v["version"] for v in cleaned(records, "old")] == [1, 1]
    assert [v["version"] for v in cleaned(records, "mid")] == [1]
