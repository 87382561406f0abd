"""Syndication hops over plain dicts: near-copies found across partitions, earliest-seen originals, expiry.

Expected results come from how each body is built (a copy is the original with a few words edited; an
unrelated story shares only stock sentences), never from the code under test.
"""

from __future__ import annotations

import gc
import random
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.cleaning import syndication
from streams.cleaning.boilerplate import Syndication
from streams.cleaning.stage import State, clean_stage, intake
from streams.cleaning.syndication import (
    SyndicationIndex,
    band_keys,
    band_partition,
    first_hop,
    resolve,
    route,
)
from streams.events import flow
from streams.events.flow import Outgoing
from streams.events.records import CleanArticle, GateInput, SyndicationHop, gate_input
from streams.settings import Settings
from tests.conftest import clean_article

DAY = 86400.0
T0 = datetime(2026, 3, 3, 12, 0, tzinfo=UTC).timestamp()
WORDS = [
    "council",
    "budget",
    "river",
    "bridge",
    "school",
    "hospital",
    "harbour",
    "railway",
    "festival",
    "museum",
    "station",
    "market",
    "library",
    "stadium",
    "airport",
    "tunnel",
    "factory",
    "garden",
    "village",
    "county",
    "island",
    "valley",
    "farm",
    "mill",
]
# Sentences every story of a paper may carry: shared by unrelated articles, never enough to make a copy.
STOCK = [
    "The ministry said it would publish its response online within days.",
    "Critics said the plans came months too late for the region.",
    "Reporting by staff; editing by the news desk.",
]


def story(seed: int, paragraphs: int = 6) -> list[str]:
    """Paragraphs unique to `seed` (seeded words and numbers), with the stock sentences at the end."""
    rng = random.Random(seed)
    body = [
        " ".join(
            f"{rng.choice(WORDS)} {rng.randint(10, 9999)} {rng.choice(WORDS)} {rng.choice(WORDS)}"
            for _ in range(8)
        )
        + "."
        for _ in range(paragraphs)
    ]
    return body + STOCK


def edited(paragraphs: list[str], words: int = 3) -> list[str]:
    """A partner's copy: the same story with `words` words replaced, in upper case."""
    out = [p.upper() for p in paragraphs]
    for n in range(words):
        tokens = out[n].split()
        tokens[2] = "EDITED"
        out[n] = " ".join(tokens)
    return out


def article(article_id: str, paragraphs: list[str], source: str = "s") -> CleanArticle:
    a: CleanArticle = clean_article("x", source=source).derive(
        article_id=article_id, event_id=f"{article_id:0>32}"[:32], paragraphs=paragraphs
    )
    return a


def run(
    indexes: dict[int, SyndicationIndex], a: CleanArticle, seen: float, partitions: int, time: float = T0
) -> str | None:
    """Every hop of one article, each at the index of the partition it is sent to (as workers would, each
    hop a batch of one: flushed after it)."""
    out = first_hop(a, Syndication({}).signature(a.paragraphs), seen, time, partitions)
    while out.spec is flow.SYNDICATION:
        assert out.partition is not None and isinstance(out.event, SyndicationHop)
        partition = out.partition
        out = syndication.step(indexes[partition], partition, out.event, partitions)
        indexes[partition].flush(partition)
    assert out.spec is flow.GATE and isinstance(out.event, GateInput) and out.event.article is not None
    return out.event.article.duplicate_of


def saved_ids(table: dict[str, Any]) -> list[str]:
    """The article ids the table's segments hold."""
    return [row[0] for v in table.values() for row in v["entries"]]


def per_partition(partitions: int, days: float = 31) -> dict[int, SyndicationIndex]:
    return {p: SyndicationIndex({}, days) for p in range(partitions)}


@pytest.mark.parametrize("partitions", [1, 4, 12])
def test_a_near_copy_names_its_original_and_an_unrelated_story_is_never_flagged(partitions: int) -> None:
    indexes = per_partition(partitions)
    original = story(1)
    assert run(indexes, article("wire-1", original, "wire"), 1.0, partitions) is None
    assert run(indexes, article("partner-9", edited(original), "partner"), 2.0, partitions) == "wire-1"
    assert run(indexes, article("other-3", story(3), "other"), 3.0, partitions) is None


def test_one_dict_for_every_partition_decides_as_one_index_per_partition() -> None:
    bodies = [story(10), story(11), edited(story(10)), story(12), edited(story(11), 2), edited(story(10), 1)]
    shared = SyndicationIndex({}, 31)
    split = per_partition(4)
    got_shared = []
    for n, body in enumerate(bodies):
        a = article(f"a{n}", body)
        out = first_hop(a, Syndication({}).signature(body), float(n), T0, 4)
        gate = resolve(shared, out, 4).event
        assert isinstance(gate, GateInput)
        final = gate.article
        assert isinstance(final, CleanArticle)
        got_shared.append(final.duplicate_of)
    got_split = [run(split, article(f"a{n}", body), float(n), 4) for n, body in enumerate(bodies)]
    assert got_shared == got_split == [None, None, "a0", None, "a1", "a0"]


def test_a_copy_of_a_copy_names_the_earliest_seen_original() -> None:
    indexes = per_partition(4)
    original = story(20)
    assert run(indexes, article("first", original), 1.0, 4) is None
    assert run(indexes, article("second", edited(original, 1)), 2.0, 4) == "first"
    assert run(indexes, article("third", edited(original, 2)), 3.0, 4) == "first"


def test_a_later_seen_article_is_never_the_original_whatever_order_the_hops_arrive_in() -> None:
    indexes = per_partition(4)
    original = story(30)
    # The copy (seen at 5) reaches the band partitions before the original (seen at 1) does.
    assert run(indexes, article("copy", edited(original)), 5.0, 4) is None
    assert run(indexes, article("original", original), 1.0, 4) is None


def test_a_redelivered_hop_decides_the_same_and_writes_nothing_new() -> None:
    table: dict[str, Any] = {}
    index = SyndicationIndex(table, 31)
    original = story(40)
    run({p: index for p in range(4)}, article("o", original), 1.0, 4)
    copy = article("c", edited(original))
    out = first_hop(copy, Syndication({}).signature(copy.paragraphs), 2.0, T0, 4)
    assert isinstance(out.event, SyndicationHop) and out.partition is not None
    first = syndication.step(index, out.partition, out.event, 4)
    index.flush(out.partition)
    written = dict(table)
    again = syndication.step(index, out.partition, out.event, 4)
    index.flush(out.partition)
    assert again == first and table == written


def test_the_index_is_rebuilt_from_its_table_after_a_restart() -> None:
    tables: dict[int, dict[str, Any]] = {p: {} for p in range(4)}
    before = {p: SyndicationIndex(tables[p], 31) for p in range(4)}
    original = story(50)
    run(before, article("o", original), 1.0, 4)
    after = {p: SyndicationIndex(orjson.loads(orjson.dumps(tables[p])), 31) for p in range(4)}
    assert run(after, article("c", edited(original)), 2.0, 4) == "o"


def test_one_segment_per_partition_visited_and_flush() -> None:
    table: dict[str, Any] = {}
    index = SyndicationIndex(table, 31)
    body = story(60)
    signature = Syndication({}).signature(body)
    partitions = route(band_keys(signature), 4)
    # Computed apart from `route`: the distinct owners of the 16 band keys.
    assert set(partitions) == {band_partition(b, 4) for b in band_keys(signature)}
    run({p: index for p in range(4)}, article("a", body), 1.0, 4)
    # Each hop its own flush here: one segment (starting at registration 0) per partition, holding "a".
    assert sorted(table) == sorted(f"{p}|seg|{0:012d}" for p in partitions)
    assert all([row[0] for row in v["entries"]] == ["a"] for v in table.values())


def test_entries_written_before_signatures_were_packed_still_find_copies() -> None:
    # The earlier value format: the signature as a list of ints, with the partition's bands.
    original = story(62)
    signature = Syndication({}).signature(original)
    bands = band_keys(signature)
    first = route(bands, 4)[0]
    old = {
        f"{first}|o": {
            "seen": 1.0,
            "time": T0,
            "n": 0,
            "sig": signature,
            "bands": [b for b in bands if band_partition(b, 4) == first],
        }
    }
    index = SyndicationIndex(old, 31)
    mine = [b for b in bands if band_partition(b, 4) == first]
    copy = Syndication({}).signature(edited(original))
    assert index.visit(first, "c", copy, 2.0, T0, mine) == (1.0, "o")


def test_an_entry_keeps_its_signature_packed() -> None:
    class KeysOnly(dict[str, Any]):  # a RocksDB table: its values are not on the Python heap
        def __setitem__(self, key: str, value: Any) -> None:
            super().__setitem__(key, None)

    signatures = [Syndication({}).signature(story(200 + n)) for n in range(300)]
    index = SyndicationIndex(KeysOnly(), 31)
    gc.collect()
    tracemalloc.start()
    try:
        for n, signature in enumerate(signatures):
            bands = band_keys(signature)
            for p in route(bands, 4):
                mine = [b for b in bands if band_partition(b, 4) == p]
                # Decoded apart for each hop, as a hop's signature is from its own Kafka message.
                index.visit(p, f"a{n}", orjson.loads(orjson.dumps(signature)), float(n), T0, mine)
                index.flush(p)  # a segment of one entry each
        gc.collect()
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 64 values as Python ints alone take 64 x 32 bytes and a 570-byte list: an entry costs less than that.
    assert used / len(index.table) < 1200


def test_a_signature_value_beyond_32_bits_is_refused() -> None:
    with pytest.raises(OverflowError):
        SyndicationIndex({}, 31).visit(0, "x", [2**40] * 64, 1.0, T0, [])


def test_entries_expire_after_the_configured_days_of_event_time() -> None:
    original = story(70)
    within = per_partition(4, days=31)
    run(within, article("o", original), 1.0, 4, time=T0)
    assert run(within, article("c", edited(original)), 2.0, 4, time=T0 + 30 * DAY) == "o"

    expired = per_partition(4, days=31)
    run(expired, article("o", original), 1.0, 4, time=T0)
    assert run(expired, article("c", edited(original)), 2.0, 4, time=T0 + 32 * DAY) is None
    # Gone from the tables too, not only from the memory of the partitions the copy visited.
    visited = route(band_keys(Syndication({}).signature(edited(original))), 4)
    assert all("o" not in saved_ids(expired[p].table) for p in visited)


def test_an_article_with_no_words_is_published_at_once() -> None:
    a = article("empty", [])
    assert first_hop(a, [], 1.0, T0, 4, received=2.0) == Outgoing(
        flow.GATE, "empty", gate_input(article=a, received=2.0)
    )


def test_process_flags_a_copy_from_another_source() -> None:
    settings = Settings(pipeline_version="test")
    state = State()
    original = story(80)

    def raw(article_id: str, source: str, paragraphs: list[str]) -> bytes:
        return orjson.dumps(
            {
                "id": article_id,
                "source": source,
                "content_type": "text/plain",
                "headline": f"Story {article_id}",
                "body": "\n\n".join(paragraphs),
            }
        )

    results = {}
    for article_id, source, body in [
        ("w1", "wire.example", original),
        ("p1", "partner.example", edited(original)),
        ("u1", "other.example", story(81)),
    ]:
        [out] = clean_stage(intake(raw(article_id, source, body), settings), settings, state)
        assert isinstance(out.event, CleanArticle)
        results[article_id] = out.event.duplicate_of
    assert results == {"w1": None, "p1": "w1", "u1": None}
    # A new version of the original is not its own copy, nor a copy of the partner's later one.
    changed = [*original[:-1], "A correction was added to this story."]
    [out] = clean_stage(intake(raw("w1", "wire.example", changed), settings), settings, state)
    assert isinstance(out.event, CleanArticle) and out.event.version == 2
    assert out.event.duplicate_of is None


def test_the_worker_refuses_state_kept_shorter_than_the_raw_topic(tmp_path: Path) -> None:
    from streams.worker.app import create_app

    with pytest.raises(ValueError, match="NEWSSTREAMS_STATE_DAYS"):
        create_app(Settings(data_dir=str(tmp_path), state_days=29))
