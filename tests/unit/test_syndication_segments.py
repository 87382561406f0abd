"""Syndication segments: what a partition registers between two flushes is one table value.

The answers are checked against a brute-force reference written here from the index's stated rules (the
per-article behaviour: the first `per_band` live articles of a band, registration order, earliest-seen
original, `days` of event time behind the partition's watermark), never against the index itself.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from typing import Any

import orjson

from streams.cleaning.boilerplate import Syndication
from streams.cleaning.syndication import SyndicationIndex, band_keys, band_partition, route
from tests.unit.test_syndication import DAY, T0, edited, saved_ids, story

PARTITIONS = 4


@dataclass
class Reference:
    """One partition's index as a list of registrations, searched in full at every visit."""

    days: float = 31.0
    per_band: int = 8
    similarity: float = 0.8
    rows: list[tuple[str, float, float, list[int], set[str]]] = field(default_factory=list)
    watermark: float = float("-inf")

    def visit(self, article_id: str, sig: list[int], seen: float, time: float, bands: list[str]) -> Any:
        self.watermark = max(self.watermark, time)
        limit = self.watermark - self.days * DAY
        self.rows = [r for r in self.rows if r[2] >= limit]
        best = None
        for band in bands:
            holders = [r for r in self.rows if band in r[4]][: self.per_band]
            for other, other_seen, _, other_sig, _ in holders:
                agree = sum(1 for x, y in zip(sig, other_sig, strict=False) if x == y) / len(sig)
                them = (other_seen, other)
                if other != article_id and them < (seen, article_id) and agree >= self.similarity:
                    best = them if best is None else min(best, them)
        if time >= limit:
            old = next((r for r in self.rows if r[0] == article_id), None)
            if old is None or old[3] != sig:
                if old is not None:
                    self.rows.remove(old)
                    seen = min(seen, old[1])
                # All its bands (those of other partitions are never asked for here).
                self.rows.append((article_id, seen, time, sig, set(band_keys(sig))))
        return best


def near_copy_set(
    rng: random.Random, stories: int, articles: int, days: float = 40
) -> list[tuple[str, list[int], float, float]]:
    """(id, signature, seen, event time): copies of a few stories, a few words edited, seen in random order;
    some ids come again with another body (a correction)."""
    bases = [story(1000 + s + rng.randint(0, 10**6)) for s in range(stories)]
    out = []
    for n in range(articles):
        body = edited(rng.choice(bases), rng.randint(0, 4))
        article_id = f"a{rng.randint(0, n)}" if rng.random() < 0.1 else f"a{n}"
        seen = rng.uniform(0, 1000)
        time = T0 + rng.uniform(0, days) * DAY
        out.append((article_id, Syndication({}).signature(body), seen, time))
    return out


def visits(
    items: list[tuple[str, list[int], float, float]],
) -> list[tuple[int, str, list[int], float, float, list[str]]]:
    """Each article's visit of each partition owning one of its bands, with the bands it owns."""
    out = []
    for article_id, sig, seen, time in items:
        bands = band_keys(sig)
        for p in route(bands, PARTITIONS):
            out.append(
                (p, article_id, sig, seen, time, [b for b in bands if band_partition(b, PARTITIONS) == p])
            )
    return out


def test_batched_segments_with_restarts_and_redelivery_answer_as_the_reference() -> None:
    for seed in range(3):
        rng = random.Random(seed)
        todo = visits(near_copy_set(rng, stories=6, articles=60))
        reference = {p: Reference() for p in range(PARTITIONS)}
        table: dict[str, Any] = {}
        index = SyndicationIndex(table, 31)
        i = 0
        while i < len(todo):
            batch = todo[i : i + rng.randint(1, 40)]
            before = copy.deepcopy(reference)
            for p, a, s, seen, t, b in batch:
                assert index.visit(p, a, s, seen, t, b) == reference[p].visit(a, s, seen, t, b)
            crash = rng.random()
            if crash < 0.2:  # crashed before the flush: a fresh worker is given the batch again
                index = SyndicationIndex(orjson.loads(orjson.dumps(table)), 31)
                table, reference = index.table, before  # type: ignore[assignment]
                continue
            for p in range(PARTITIONS):
                index.flush(p)
            if crash < 0.4:  # flushed, crashed before the commit: given again, registers nothing new
                index = SyndicationIndex(orjson.loads(orjson.dumps(table)), 31)
                table = index.table  # type: ignore[assignment]
                for p, a, s, seen, t, b in batch:
                    # As the reference answers with the whole batch registered (an earlier-seen copy
                    # registered later in the batch is found now).
                    assert index.visit(p, a, s, seen, t, b) == reference[p].visit(a, s, seen, t, b)
                for p in range(PARTITIONS):
                    index.flush(p)
            i += len(batch)
        # Far fewer values than visits: one segment per partition and batch at most.
        assert len(table) < len(todo) / 2
        # A fresh load answers every probe as the reference does.
        fresh = SyndicationIndex(orjson.loads(orjson.dumps(table)), 31)
        for p, a, s, seen, t, b in visits(near_copy_set(rng, stories=6, articles=20)):
            assert fresh.visit(p, "probe" + a, s, seen, t, b) == reference[p].visit(
                "probe" + a, s, seen, t, b
            )


def test_one_flush_saves_a_batch_as_one_value_per_partition() -> None:
    table: dict[str, Any] = {}
    index = SyndicationIndex(table, 31)
    items = near_copy_set(random.Random(7), stories=3, articles=20, days=5)
    todo = visits(items)
    for p, a, s, seen, t, b in todo:
        index.visit(p, a, s, seen, t, b)
    for p in range(PARTITIONS):
        index.flush(p)
    touched = {v[0] for v in todo}
    assert sorted(table) == sorted(f"{p}|seg|{0:012d}" for p in touched)
    for p in touched:
        assert sorted(set(saved_ids({"k": table[f"{p}|seg|{0:012d}"]}))) == sorted(
            {v[1] for v in todo if v[0] == p}
        )


def _one(
    index: SyndicationIndex, article_id: str, body: list[str], seen: float, time: float, at: int | None = None
) -> Any:
    """Visit partition `at`, else the first the body's bands route to; (partition, answer)."""
    sig = Syndication({}).signature(body)
    bands = band_keys(sig)
    p = route(bands, PARTITIONS)[0] if at is None else at
    mine = [b for b in bands if band_partition(b, PARTITIONS) == p]
    return p, index.visit(p, article_id, sig, seen, time, mine)


def test_a_segment_is_deleted_once_none_of_its_entries_is_live() -> None:
    table: dict[str, Any] = {}
    index = SyndicationIndex(table, 31)
    body = story(500)
    p, _ = _one(index, "early", body, 1.0, T0)
    _one(index, "late", edited(body, 1), 2.0, T0 + 10 * DAY, at=p)
    index.flush(p)
    first = f"{p}|seg|{0:012d}"
    assert saved_ids({"k": table[first]}) == ["early", "late"]
    # 32 days on: "early" expired, "late" (10 days later) is not: the segment stays, whole.
    _one(index, "probe1", edited(body, 2), 3.0, T0 + 32 * DAY, at=p)
    index.flush(p)
    assert saved_ids({"k": table[first]}) == ["early", "late"]
    # 42 days on: both expired: the segment goes (probe1 lives on in its own).
    _one(index, "probe2", story(501), 4.0, T0 + 42 * DAY, at=p)
    index.flush(p)
    assert first not in table
    fresh = SyndicationIndex(dict(table), 31)
    assert _one(fresh, "copy", edited(body, 3), 5.0, T0 + 42 * DAY, at=p) == (p, (3.0, "probe1"))


def test_a_later_registration_supersedes_the_earlier_segment_on_load() -> None:
    one, two = story(600), story(601)
    sig_one, sig_two = Syndication({}).signature(one), Syndication({}).signature(two)
    # Both segments still in the table (as after a crash before the first was deleted).
    p1 = route(band_keys(sig_one), PARTITIONS)[0]
    table: dict[str, Any] = {}
    for n, sig in enumerate([sig_one, sig_two]):
        import base64
        from array import array

        packed = base64.b64encode(array("I", sig).tobytes()).decode()
        table[f"{p1}|seg|{n:012d}"] = {"entries": [["a", 1.0, T0, n, packed]]}
    index = SyndicationIndex(table, 31)
    bands_one = [
        b for b in band_keys(Syndication({}).signature(edited(one))) if band_partition(b, PARTITIONS) == p1
    ]
    # "a" now says `two`: a copy of `one` no longer finds it.
    assert index.visit(p1, "c1", Syndication({}).signature(edited(one)), 2.0, T0, bands_one) is None
    index.flush(p1)
    assert f"{p1}|seg|{0:012d}" not in table  # the superseded segment was deleted at the flush


def test_an_article_registered_again_in_a_later_batch_keeps_only_the_new_body() -> None:
    table: dict[str, Any] = {}
    index = SyndicationIndex(table, 31)
    body = story(700)
    p, _ = _one(index, "a", body, 1.0, T0)
    index.flush(p)
    sig_new = Syndication({}).signature(story(701))
    bands = [b for b in band_keys(sig_new) if band_partition(b, PARTITIONS) == p]
    index.visit(p, "a", sig_new, 5.0, T0, bands)
    index.flush(p)
    assert saved_ids(table) == ["a"] and list(table) == [f"{p}|seg|{1:012d}"]
    # The first registration's seen time is kept (the article was seen then).
    assert table[f"{p}|seg|{1:012d}"]["entries"][0][1] == 1.0


def test_per_article_values_from_before_segments_are_read_and_expire() -> None:
    import base64
    from array import array

    body = story(800)
    sig = Syndication({}).signature(body)
    p = route(band_keys(sig), PARTITIONS)[0]
    packed = base64.b64encode(array("I", sig).tobytes()).decode()
    table: dict[str, Any] = {f"{p}|old": {"seen": 1.0, "time": T0, "n": 0, "sig": packed}}
    index = SyndicationIndex(table, 31)
    assert _one(index, "copy", edited(body), 2.0, T0 + DAY) == (p, (1.0, "old"))
    index.flush(p)
    assert sorted(table) == [f"{p}|old", f"{p}|seg|{1:012d}"]
    _one(index, "later", story(801), 3.0, T0 + 40 * DAY)
    index.flush(p)
    assert f"{p}|old" not in table
