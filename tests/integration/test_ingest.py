"""`newsstreams ingest` against a real broker: what it sends arrives keyed by id; exit 0 or 1 says if any was refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from streams.tools.cli import main
from tests.conftest import raw_article
from tests.integration.conftest import Broker
from tests.integration.kafka_io import consume_until

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]


async def test_ingest_sends_the_valid_lines_and_exits_by_what_it_refused(
    kafka: Broker,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NEWSSTREAMS_BROKER", f"kafka://{kafka.bootstrap}")
    monkeypatch.setenv("NEWSSTREAMS_TOPIC_PREFIX", namespace)
    good = [
        raw_article(f"Story {n}: the council met on Monday and agreed a budget.", id=f"s{n}")
        for n in range(3)
    ]
    clean_feed, mixed_feed = tmp_path / "clean.jsonl", tmp_path / "mixed.jsonl"
    clean_feed.write_bytes(b"\n".join(good[:2]) + b"\n")
    mixed_feed.write_bytes(good[2] + b"\n[1, 2]\n")

    assert await asyncio.to_thread(main, ["ingest", "--quiet", str(clean_feed)]) == 0
    assert capsys.readouterr().out.strip() == "sent 2, rejected 0 (none)"
    assert await asyncio.to_thread(main, ["ingest", "--quiet", str(mixed_feed)]) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "sent 1, rejected 1 (not_an_object: 1)" and f"{mixed_feed}:2: rejected" in err

    topic = f"{namespace}news.articles.raw"
    records = await consume_until(kafka.bootstrap, [topic], lambda rs: len(rs) >= 3, timeout=60)
    assert sorted(r.key for r in records) == [b"s0", b"s1", b"s2"]
    assert sorted(r.value for r in records) == sorted(good)
