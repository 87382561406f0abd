"""The enrich stage's NLP in child processes: the same results as in the worker's own process, in batch
order, and a child that dies loses no article (one that kills it every time is refused with a reason)."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from streams.enrichment.enrich import Enricher
from streams.enrichment.iptc import TopicClassifier
from streams.enrichment.nlp_process import NlpProcess, in_runs, text_length
from streams.enrichment.results import Enriched
from streams.events import flow
from streams.events.deadletter import dead_letter
from streams.events.errors import Reason, Rejected
from streams.events.records import CleanArticle
from streams.settings import Settings
from streams.tools.bench import clean_all, load_corpus
from streams.worker.health import Metrics
from tests.conftest import clean_article

CRASH = "zz-crash-the-nlp-zz"


def _article(article_id: str, source: str, *paragraphs: str) -> CleanArticle:
    article = clean_article(*paragraphs, source=source)
    article.article_id = article_id
    return article


def _batch() -> list[CleanArticle]:
    """Sources interleaved; the second article of "wire" names by surname whom the first named in full."""
    feed = clean_all(load_corpus(None, 4), Settings())
    return [
        _article(
            "w/1",
            "wire",
            "Sergei Lavrov, the Russian foreign minister, met envoys in Geneva on Monday to discuss a ceasefire.",
            "The talks lasted four hours, officials said, and will resume next week.",
        ),
        feed[0],
        _article("p/1", "paper", "James Carter said the plan would help small businesses in Ohio."),
        feed[1],
        _article(
            "w/2",
            "wire",
            "Talks on a ceasefire resumed in Geneva on Tuesday after a day of delays.",
            "Mr Lavrov told reporters that progress was slow but that the envoys would meet again on Friday.",
        ),
        feed[2],
        _article("p/2", "paper", "Carter later told reporters the vote would come in May."),
        feed[3],
    ]


def _same(got: Sequence[Any], expected: Sequence[Any]) -> None:
    """Results equal as the worker uses them: events (their topic, key and bytes) and people; a failure's
    dead letter."""
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        if isinstance(e, Exception):
            assert isinstance(g, Exception)
            mine, theirs = (
                dead_letter(stage="enrich", error=x, key="k", value=b"v", topic="t", pipeline_version="p")
                for x in (g, e)
            )
            assert (mine.reason, mine.detail) == (theirs.reason, theirs.detail)
            continue
        assert isinstance(g, Enriched) and g.article == e.article
        assert (g.people, g.learned) == (e.people, e.learned)
        assert [(o.spec.name, o.key, o.partition) for o in g.outgoing] == [
            (o.spec.name, o.key, o.partition) for o in e.outgoing
        ]
        # The specs are the flow's own objects (stages compare them with `is`) and the events' bytes match.
        assert all(o.spec is flow.spec_named(o.spec.name) for o in g.outgoing)
        assert [o.event.dumps() if o.event else None for o in g.outgoing] == [
            o.event.dumps() if o.event else None for o in e.outgoing
        ]


def _in_process(nlp: Any, settings: Settings, articles: list[CleanArticle]) -> list[Any]:
    """The oracle: the Enricher run in this process, as `newsstreams process` runs it."""
    return Enricher(nlp, TopicClassifier.load(None), settings).run(articles, {})


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds process `pid` has used (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _through_children(settings: Settings, articles: list[CleanArticle], kill_after: float = 0) -> Any:
    nlp = NlpProcess(settings, Metrics())
    await nlp.load()
    before = set(nlp.pids)
    try:
        child = min(before)
        spent = _cpu_seconds(child)
        running = asyncio.ensure_future(nlp.run(articles, {}))
        if kill_after:
            # Killed once it has spent `kill_after` CPU seconds on the batch: mid-batch however fast or busy
            # the machine is (a wall-clock sleep let a fast machine finish first, a loaded one not start).
            for _ in range(60_000):  # 5 minutes at most
                if _cpu_seconds(child) - spent >= kill_after or running.done():
                    break
                await asyncio.sleep(0.005)
            assert not running.done(), "the batch ended before the kill: make it longer"
            os.kill(child, signal.SIGKILL)
        return await running, before, set(nlp.pids), nlp.metrics
    finally:
        await nlp.close()
        assert not nlp.pids


def test_a_batch_is_split_into_runs_of_consecutive_articles_of_about_equal_length() -> None:
    assert in_runs([5] * 10, 1) == [list(range(10))]
    assert in_runs([5] * 10, 2) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert in_runs([5] * 10, 3) == [[0, 1, 2], [3, 4, 5, 6], [7, 8, 9]]
    # One long article is a run of its own; the short ones go together.
    assert in_runs([3000, 100, 100, 100, 100], 2) == [[0], [1, 2, 3, 4]]
    assert in_runs([100, 100, 3000, 100], 2) == [[0, 1], [2, 3]]
    assert in_runs([1, 1], 8) == [[0], [1]]
    assert in_runs([0, 0, 0, 0], 2) == [[0, 1], [2, 3]]  # empty texts still count as one
    assert in_runs([], 2) == []


def test_results_and_rejections_pickle_back_equal(nlp: Any) -> None:
    settings = Settings()
    results = _in_process(nlp, settings, _batch()[:2])
    _same(pickle.loads(pickle.dumps(results)), results)
    rejected = pickle.loads(pickle.dumps(Rejected(Reason.NLP_CRASHED, "why")))
    assert (rejected.reason, rejected.detail) == (Reason.NLP_CRASHED, "why")


def test_a_batch_through_two_children_equals_the_in_process_enricher(nlp: Any) -> None:
    settings = Settings(nlp_processes=2)
    articles = _batch()
    got, before, after, metrics = asyncio.run(_through_children(settings, articles))
    # Each child enriches one run of consecutive articles, learning in order within it and nothing from the
    # other run: as the in-process enricher does over each run alone.
    runs = in_runs([text_length(a) for a in articles], 2)
    assert len(runs) == 2
    _same(got, [r for run in runs for r in _in_process(nlp, settings, [articles[i] for i in run])])
    assert len(before) == 2 and before == after
    assert metrics.nlp_cpu._value.get() > 0  # the children's CPU is counted in the worker


def test_an_article_that_breaks_the_stage_in_the_child_is_dead_lettered_as_in_process(nlp: Any) -> None:
    settings = Settings()
    articles = _batch()[:4]
    broken = _article("x/1", "wire", "James Carter said the plan would help small businesses.")
    broken.paragraphs = [*broken.paragraphs, 42]  # type: ignore[list-item]  # breaks the stage alone
    articles.insert(2, broken)
    got, _, _, _ = asyncio.run(_through_children(settings, articles))
    expected = _in_process(nlp, settings, articles)
    assert isinstance(expected[2], TypeError) and isinstance(expected[3], Enriched)
    assert isinstance(got[2], Rejected) and got[2].reason == Reason.STAGE_ERROR
    _same(got, expected)


def test_a_child_killed_mid_batch_costs_a_retry_not_an_article(nlp: Any) -> None:
    settings = Settings()
    articles = _batch()
    started = time.monotonic()
    got, before, after, _ = asyncio.run(_through_children(settings, articles, kill_after=0.05))
    assert not before & after  # the pool was started again
    expected = _in_process(nlp, settings, articles)
    # Within "wire", the later article learned the minister's full name from the earlier one: redone one
    # at a time, it still does.
    assert expected[4].people.get("lavrov") == "Sergei Lavrov"
    _same(got, expected)
    assert time.monotonic() - started < 300


def test_an_article_that_kills_the_child_every_time_is_refused_the_rest_delivered(nlp: Any) -> None:
    settings = Settings(fault_nlp_crash=CRASH)
    articles = _batch()[:5]
    poison = _article("x/2", "paper", f"A story that ends badly {CRASH}.")
    batch = [*articles[:2], poison, *articles[2:]]
    got, _, _, _ = asyncio.run(_through_children(settings, batch))
    rejected = got[2]
    assert isinstance(rejected, Rejected) and rejected.reason == Reason.NLP_CRASHED == "nlp_crashed"
    _same([*got[:2], *got[3:]], _in_process(nlp, settings, articles))


def test_no_child_outlives_a_worker_killed_outright() -> None:
    # A process that starts an NlpProcess, says its children's pids, then waits: killed with SIGKILL, it
    # shuts nothing down.
    script = (
        "import asyncio, sys\n"
        "from streams.enrichment.nlp_process import NlpProcess\n"
        "from streams.settings import Settings\n"
        "from streams.worker.health import Metrics\n"
        "async def main():\n"
        "    nlp = NlpProcess(Settings(nlp_processes=2), Metrics())\n"
        "    await nlp.load()\n"
        "    print(*sorted(nlp.pids), flush=True)\n"
        "    await asyncio.sleep(600)\n"
        "asyncio.run(main())\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE) as parent:
        try:
            assert parent.stdout is not None
            pids = [int(p) for p in parent.stdout.readline().split()]
            assert len(pids) == 2 and all(_running(p) for p in pids)
        finally:
            parent.kill()
            parent.wait(10)
    deadline = time.monotonic() + 15
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if _running(p)]


def _running(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped by init, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("size", [1, 2])
def test_no_child_outlives_close(size: int) -> None:
    async def start_and_close() -> set[int]:
        nlp = NlpProcess(Settings(nlp_processes=size), Metrics())
        await nlp.load()
        pids = set(nlp.pids)
        await nlp.close()
        return pids

    pids = asyncio.run(start_and_close())
    assert len(pids) == size
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
