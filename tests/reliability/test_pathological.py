"""Pathological inputs through a worker: each is rejected or processed within limits, the worker stays
up with its process tree (its NLP child, where spaCy parses the article, included) under 1 GB, and a good
article after each one is processed."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka.errors import MessageSizeTooLargeError

from tests.reliability.articles import article
from tests.reliability.checker import Reader, check_complete, send_all
from tests.reliability.conftest import report, tree_rss_bytes, worker_on_own_broker

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.asyncio]

MB = 1024 * 1024
RSS_LIMIT = 1024 * MB


def _raw(article_id: str, body: str, content_type: str = "text/plain") -> bytes:
    return orjson.dumps(
        {"id": article_id, "source": "pathological.example", "content_type": content_type, "body": body}
    )


def pathological() -> list[tuple[str, bytes, set[str]]]:
    """(key, message bytes, the outcomes allowed: a dead-letter reason or "enriched")."""
    noise = random.Random(7)
    return [
        # 8 MB, four times the largest body intake takes, yet under the raw topic's max.message.bytes
        # (4 x max body + 1 MiB): it reaches the worker and is refused on its length alone, before it is
        # decoded, let alone parsed.
        ("body-8mb", _raw("body-8mb", "lorem ipsum " * (8 * MB // 12)), {"too_large"}),
        (
            "paragraphs-100k",
            _raw("paragraphs-100k", "\n\n".join(["Yes."] * 100_000)),
            {"too_many_paragraphs"},
        ),
        (
            "nested-divs-10k",
            _raw(
                "nested-divs-10k",
                "<html><body>"
                + "<div>" * 10_000
                + "Maria Lopez said the flood was over."
                + "</div>" * 10_000
                + "</body></html>",
                "text/html",
            ),
            {"enriched", "no_text", "stage_error"},
        ),
        ("binary-noise", noise.randbytes(1 * MB), {"binary", "not_utf8"}),
        # One 1 MiB "word" is over spaCy's max_length (10^6 characters): refused by the parser, not run.
        (
            "word-1mb",
            _raw("word-1mb", "".join(noise.choice("abcdefghij") for _ in range(1 * MB))),
            {"too_large"},
        ),
        # Just under it, the word goes through every stage (one token: about a second of parsing).
        (
            "word-999k",
            _raw("word-999k", "".join(noise.choice("abcdefghij") for _ in range(999_000))),
            {"enriched", "no_text"},
        ),
    ]


async def test_pathological_inputs_are_bounded_and_the_worker_goes_on(
    own_broker: Any, namespace: str, worker_env: dict[str, str], tmp_path: Path
) -> None:
    # A broker of this test's own, so the worker's resident memory is measured alone.
    broker, worker = await worker_on_own_broker(own_broker, worker_env, tmp_path)
    assert worker.proc is not None
    # A 50 MB message is over the raw topic's max.message.bytes (set by `topics apply`): the broker
    # refuses it and the feed that sent it is told; nothing is accepted and then lost.
    with pytest.raises(MessageSizeTooLargeError):
        await send_all(
            broker.bootstrap,
            f"{namespace}news.articles.raw",
            [(b"body-50mb", _raw("body-50mb", "lorem ipsum " * (50 * MB // 12)))],
        )
    cases = pathological()
    messages: list[tuple[bytes | None, bytes]] = []
    good: set[str] = set()
    for n, (key, value, _) in enumerate(cases):
        messages.append((key.encode(), value))
        good.add(f"after-{key}")
        messages.append((f"after-{key}".encode(), orjson.dumps(article(f"after-{key}", n))))
    # The whole tree: a long or odd article grows the NLP child, which the worker's own RSS never shows.
    peak = tree_rss_bytes(worker.proc.pid)

    async def watch_rss() -> None:
        nonlocal peak
        while True:
            peak = max(peak, tree_rss_bytes(worker.proc.pid))  # type: ignore[union-attr]
            await asyncio.sleep(0.2)

    watcher = asyncio.create_task(watch_rss())
    started = time.monotonic()
    try:
        async with Reader(broker.bootstrap, namespace) as reader:
            await send_all(broker.bootstrap, f"{namespace}news.articles.raw", messages)

            def settled(o: Any) -> bool:
                seen = o.articles("news.articles.enriched") | o.articles("news.deadletter")
                return o.complete(good) and all(key in seen for key, _, _ in cases)

            complete = await reader.until(settled, timeout=180)
            elapsed = time.monotonic() - started
        assert worker.proc.poll() is None, "the worker died"
    finally:
        watcher.cancel()
        worker.stop()
    out = reader.outputs
    letters = {d["original_key"]: d for d in out.dead_letters()}
    outcomes = {
        key: letters[key]["reason"]
        if key in letters
        else "enriched"
        if key in out.articles("news.articles.enriched")
        else "nothing"
        for key, _, _ in cases
    }
    assert complete, (
        f"outcomes so far: {outcomes}; good missing: {good - out.articles('news.articles.enriched')}"
    )
    for key, _, allowed in cases:
        assert outcomes[key] in allowed, (key, outcomes[key], letters.get(key, {}).get("detail"))
    check_complete(out, good, dead=set(letters))
    assert peak < RSS_LIMIT, f"peak RSS of the worker's process tree {peak / MB:.0f} MB"
    report(
        "pathological",
        outcomes=outcomes,
        details={k: v["detail"][:160] for k, v in letters.items()},
        good_after_each=len(good & out.articles("news.articles.enriched")),
        peak_tree_rss_mb=round(peak / MB),
        seconds=round(elapsed, 1),
    )
