"""Poison of every kind among good articles: each bad one a dead letter with its reason, each good one
complete; an article that makes the enrich stage raise is dead-lettered (stage_error) and the agent goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from tests.integration.conftest import Broker
from tests.reliability.articles import good_messages, poison
from tests.reliability.checker import Reader, check_complete, send_all
from tests.reliability.conftest import report, worker_on

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.asyncio]

GOOD, POISON = 1_000, 200
# Small limits so that the too_large and too_many_paragraphs poison stays small on the wire.
LIMITS = {"NEWSSTREAMS_MAX_BODY_BYTES": "200000", "NEWSSTREAMS_MAX_PARAGRAPHS": "50"}


async def test_200_poison_messages_among_1000_good_ones(
    kafka: Broker, namespace: str, worker_env: dict[str, str], tmp_path: Path
) -> None:
    good = good_messages("good", GOOD)
    bad = [poison(n) for n in range(POISON)]
    # One poison message after every fifth good one: bad input never arrives in a block of its own.
    messages: list[tuple[bytes | None, bytes]] = []
    for n, message in enumerate(good):
        messages.append(message)
        if n % 5 == 4:
            key, value, _ = bad[n // 5]
            messages.append((key.encode(), value))
    worker = worker_on({**worker_env, **LIMITS}, tmp_path / "worker.log")
    await asyncio.to_thread(worker.start)
    good_ids = {k.decode() for k, _ in good}
    try:
        async with Reader(kafka.bootstrap, namespace) as reader:
            await send_all(kafka.bootstrap, f"{namespace}news.articles.raw", messages)
            complete = await reader.until(lambda o: o.complete(good_ids, dead=POISON), timeout=420)
            await reader.drain()
        assert worker.proc is not None and worker.proc.poll() is None, "the worker died"
    finally:
        worker.stop()
    out = reader.outputs
    assert complete, (
        f"{len(good_ids - out.articles('news.articles.enriched'))} good articles not enriched, "
        f"{len(out.articles('news.deadletter'))} of {POISON} dead letters"
    )
    figures = check_complete(out, good_ids, dead={key for key, _, _ in bad})
    letters = {d["original_key"]: d for d in out.dead_letters()}
    wrong = {
        key: (letters[key]["reason"], reason) for key, _, reason in bad if letters[key]["reason"] != reason
    }
    assert not wrong, f"(got, expected) reasons: {wrong}"
    assert all(letters[key]["detail"] for key, _, _ in bad)
    report(
        "poison",
        articles_sent=GOOD,
        poison_sent=POISON,
        outputs=figures.outputs,
        records=figures.records,
        duplicates=figures.duplicates,
        dead_letters=figures.dead_letters,
        reasons=sorted({r for _, _, r in bad}),
    )


async def test_an_article_that_breaks_the_enrich_stage_is_dead_lettered_and_the_agent_goes_on(
    kafka: Broker, namespace: str, worker_env: dict[str, str], tmp_path: Path
) -> None:
    # news.articles.clean is a public topic: another producer (or an old pipeline) can put an event on it
    # that decodes as a CleanArticle but breaks the parse: here a paragraph that is a number.
    broken = {
        "event_id": "clean-broken-1",
        "article_id": "clean-broken",
        "version": 1,
        "source": "broken.example",
        "content_type": "text/plain",
        "content_hash": "0" * 64,
        "headline": "A headline",
        "language": "en",
        "paragraphs": ["Maria Lopez said the first paragraph is fine.", 42],
    }
    good = good_messages("after-broken", 20)
    worker = worker_on(worker_env, tmp_path / "worker.log")
    await asyncio.to_thread(worker.start)
    try:
        async with Reader(kafka.bootstrap, namespace) as reader:
            await send_all(
                kafka.bootstrap, f"{namespace}news.articles.clean", [(b"clean-broken", orjson.dumps(broken))]
            )
            await send_all(kafka.bootstrap, f"{namespace}news.articles.raw", good)
            good_ids = {k.decode() for k, _ in good}
            complete = await reader.until(lambda o: o.complete(good_ids, dead=1), timeout=180)
        assert worker.proc is not None and worker.proc.poll() is None, "the worker died"
    finally:
        worker.stop()
    out = reader.outputs
    assert complete, f"dead letters: {out.dead_letters()}"
    [letter] = out.dead_letters()
    assert (letter["stage"], letter["reason"], letter["original_key"]) == (
        "enrich",
        "stage_error",
        "clean-broken",
    )
    assert "TypeError" in letter["detail"]
    # The clean topic was read as-is: the letter keeps the bytes that broke the stage.
    assert orjson.loads(letter["original_value"])["paragraphs"][1] == 42
    report(
        "enrich_stage_error",
        articles_sent=len(good),
        outputs=len(good_ids & out.articles("news.articles.enriched")),
        dead_letters=1,
        reason=letter["reason"],
        detail=letter["detail"][:120],
    )
