"""Article versions and learned boilerplate expire state_days (event time) behind their partition's watermark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from streams.cleaning.boilerplate import ArticleVersions, LearnedBoilerplate
from streams.cleaning.clean import fingerprint
from streams.cleaning.expiry import Expiring, StateExpiry, event_time
from streams.cleaning.stage import State, clean_hop, clean_stage, intake
from streams.events import flow
from streams.events.flow import Outgoing
from streams.events.records import CleanArticle, EntityEvent
from streams.kills import retract
from streams.settings import Settings

DAY = 86400.0
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
T = NOW.timestamp()
SOURCE = "ledger.example"
FOOTER = "The Ledger Group Ltd, 12 Harbour Street, Portsmouth. Registered in England No. 4021."


class Recording(dict[str, Any]):
    """A dict that remembers its writes and deletions, as a Faust table sends them to its changelog."""

    def __init__(self) -> None:
        super().__init__()
        self.sets: list[str] = []
        self.tombstones: list[str] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self.sets.append(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.tombstones.append(key)
        super().__delitem__(key)


def expiry_over(versions: Recording, learned: Recording, days: float = 31) -> StateExpiry:
    return StateExpiry(
        [
            Expiring(versions, ArticleVersions.stamp),
            Expiring(learned, LearnedBoilerplate.stamp, slack=LearnedBoilerplate.REFRESH),
        ],
        days,
    )


def test_a_version_32_days_behind_the_watermark_is_gone_and_one_29_days_behind_is_kept() -> None:
    versions, learned = Recording(), Recording()
    expiry = expiry_over(versions, learned)
    table = ArticleVersions(versions, partition=0)
    assert table.decide("old", "h-old", time=T - 32 * DAY) == 1
    expiry.advance(0, T - 32 * DAY)  # as the stage does: each version written moves the watermark
    assert table.decide("mid", "h-mid", time=T - 29 * DAY) == 1
    expiry.advance(0, T - 29 * DAY)
    assert versions.tombstones == []  # 3 days apart: nothing is 31 days behind yet
    assert table.decide("new", "h-new", time=T) == 1
    assert expiry.advance(0, T) == 1
    # The limit is T - 31 days: "old" (T - 32 days) is deleted with a tombstone, "mid" (T - 29) stays.
    assert versions.tombstones == ["old"]
    assert sorted(versions) == ["mid", "new"]
    now = ArticleVersions(versions, partition=0, limit=expiry.limit(0))
    assert now.decide("mid", "h-mid", time=T) is None  # still known: the same content is no new version
    assert now.decide("old", "h-old", time=T) == 1  # forgotten: it starts again


def test_an_expired_entry_is_read_as_absent_before_any_sweep_deletes_it() -> None:
    versions = Recording()
    versions["a"] = {"version": 4, "hashes": ["h"], "origin": None, "seen": 1.0, "t": T - 40 * DAY, "p": 0}
    table = ArticleVersions(versions, partition=0, limit=T - 31 * DAY)
    assert table.current("a") is None and table.first_seen("a") is None
    assert table.decide("a", "h", time=T) == 1  # content once known, but forgotten: a first version again


def test_each_partition_ages_by_its_own_watermark() -> None:
    versions, learned = Recording(), Recording()
    expiry = expiry_over(versions, learned)
    ArticleVersions(versions, partition=0).decide("p0-old", "h", time=T - 40 * DAY)
    expiry.advance(0, T - 40 * DAY)
    ArticleVersions(versions, partition=1).decide("p1-old", "h", time=T - 40 * DAY)
    expiry.advance(1, T - 40 * DAY)
    expiry.advance(0, T)
    # Partition 1 has seen nothing newer: its entry is not expired by partition 0's watermark.
    assert versions.tombstones == ["p0-old"]
    assert expiry.limit(1) == T - 71 * DAY


def test_a_reload_rebuilds_the_watermark_and_a_restarted_worker_expires_what_was_written_before() -> None:
    versions, learned = Recording(), Recording()
    before = expiry_over(versions, learned)
    for i, age in enumerate([29.0, 10.0, 0.0]):
        ArticleVersions(versions, partition=2).decide(f"a{i}", "h", time=T - age * DAY)
        before.advance(2, T - age * DAY)
    assert versions.tombstones == []
    # A restarted worker: a new expiry over the same tables, loaded from the values alone.
    after = expiry_over(versions, learned)
    after.load(2)
    assert after.limit(2) == T - 31 * DAY == before.limit(2)
    # Three days on, the entry 29 days old is 32 days behind: the first sweep after the restart removes it.
    assert after.advance(2, T + 3 * DAY) == 1
    assert versions.tombstones == ["a0"]


def test_versions_written_before_expiry_existed_count_from_the_next_version_written() -> None:
    versions = Recording()
    versions["a"] = {"version": 2, "hashes": ["h1", "h2"], "origin": None, "seen": 5.0}
    assert ArticleVersions.stamp(versions["a"]) is None  # no time: never swept as it is
    table = ArticleVersions(versions, partition=1, limit=T - 31 * DAY)
    assert table.decide("a", "h2", time=T) is None
    assert table.decide("a", "h3", time=T) == 3
    assert versions["a"]["t"] == T and versions["a"]["p"] == 1 and versions["a"]["seen"] == 5.0


def test_a_boilerplate_line_seen_every_day_stays_learned_and_costs_a_record_every_other_day() -> None:
    versions, learned = Recording(), Recording()
    expiry = expiry_over(versions, learned)
    line = LearnedBoilerplate.key(SOURCE, fingerprint(FOOTER))
    for article in ["a", "b", "c"]:  # threshold 2: three ids fill it (threshold + 1)
        LearnedBoilerplate(learned, 2).observe(SOURCE, article, [FOOTER], time=T)
    assert len(learned.sets) == 3
    for day in range(1, 41):
        time = T + day * DAY
        expiry.advance(0, time)
        board = LearnedBoilerplate(learned, 2, limit=expiry.limit(0) - LearnedBoilerplate.REFRESH)
        assert board.is_learned(SOURCE, fingerprint(FOOTER)), day
        board.observe(SOURCE, f"daily-{day}", [FOOTER], time=time)
    # Full, so no new id is kept; its time is rewritten when the stored one is more than a day old: on
    # days 2, 4, ..., 40 (the day after a rewrite, the stored time is exactly one day old).
    assert len(learned.sets) == 3 + 20
    assert learned[line][:2] == [T + 40 * DAY, 0] and learned[line][2:] == ["a", "b", "c"]
    assert learned.tombstones == []


def test_a_boilerplate_line_not_seen_for_32_days_is_forgotten_and_one_seen_30_days_ago_is_not() -> None:
    versions, learned = Recording(), Recording()
    expiry = expiry_over(versions, learned)
    for article in ["a", "b", "c"]:
        LearnedBoilerplate(learned, 2).observe(SOURCE, article, [FOOTER], time=T)
    expiry.advance(0, T)
    fp = fingerprint(FOOTER)
    # 30 days later (other articles move the watermark): still learned.
    expiry.advance(0, T + 30 * DAY)
    assert LearnedBoilerplate(learned, 2, limit=expiry.limit(0) - LearnedBoilerplate.REFRESH).is_learned(
        SOURCE, fp
    )
    # 32.5 days later: more than 31 days and the one-day refresh slack; gone, with a tombstone.
    expiry.advance(0, T + 32.5 * DAY)
    assert not LearnedBoilerplate(learned, 2, limit=expiry.limit(0) - LearnedBoilerplate.REFRESH).is_learned(
        SOURCE, fp
    )
    assert learned.tombstones == [LearnedBoilerplate.key(SOURCE, fp)]


def test_learned_values_written_before_expiry_existed_are_stamped_when_next_seen() -> None:
    learned = Recording()
    key = LearnedBoilerplate.key(SOURCE, fingerprint(FOOTER))
    learned[key] = ["a", "b", "c"]
    board = LearnedBoilerplate(learned, 2, partition=3, limit=T - 32 * DAY)
    assert board.is_learned(SOURCE, fingerprint(FOOTER))
    board.observe(SOURCE, "d", [FOOTER], time=T)
    assert learned[key] == [T, 3, "a", "b", "c"]


def test_event_time_is_the_publication_time_never_more_than_a_day_after_kafka_saw_it() -> None:
    assert event_time(None, T) == T
    assert event_time(T - 5 * DAY, T) == T - 5 * DAY
    assert event_time(T + 300 * DAY, T) == T + DAY  # a mistyped year would expire the partition


def _raw(article_id: str, published: datetime, body: str) -> bytes:
    return orjson.dumps(
        {
            "id": article_id,
            "source": SOURCE,
            "content_type": "text/plain",
            "published_at": published.isoformat(),
            "body": body,
        }
    )


def _body(n: int) -> str:
    return f"Story number {n} about the harbour council and its new budget plans for the district."


def test_process_and_the_worker_stage_expire_by_published_at_alike() -> None:
    settings = Settings(pipeline_version="test")
    messages = [
        ("old", NOW - timedelta(days=32), _body(1)),
        ("mid", NOW - timedelta(days=29), _body(2)),
        ("new", NOW, _body(3)),
    ]
    # `process` (one dict, partition 0) and the worker's clean hop on partition 5 with message times.
    state, worker = State(), State()
    for article_id, published, body in messages:
        raw = intake(_raw(article_id, published, body), settings)
        [out] = clean_stage(raw, settings, state, seen=T)
        assert isinstance(out.event, CleanArticle) and out.event.version == 1
        assert clean_hop(raw, settings, worker, f"5:{article_id}", T, partition=5)
    for s, partition in [(state, 0), (worker, 5)]:
        assert sorted(s.versions) == ["mid", "new"]
        assert {v["p"] for v in s.versions.values()} == {partition}
        # Sent again: "mid" is still known (nothing new); "old" was forgotten, so it is version 1 again.
        for article_id, published, body in messages[:2]:
            raw = intake(_raw(article_id, published, body), settings)
            outputs = clean_hop(raw, settings, s, None, T + 1, partition=partition)
            assert [o.event.article.version for o in outputs] == ([1] if article_id == "old" else [])


# The enrich stage's memory of what each article published (streams/kills/retract.py) expires the same way.


def _article(article_id: str, version: int = 1) -> CleanArticle:
    return CleanArticle(
        event_id=f"{article_id}-v{version}",
        article_id=article_id,
        version=version,
        source=SOURCE,
        content_type="text/plain",
        content_hash=f"h{version}",
        paragraphs=["A paragraph."],
    )


def _entities(article_id: str, *names: str) -> list[Outgoing]:
    """One entity event per name, as the enrich stage sends them (the id names what the event says)."""
    return [
        Outgoing(
            flow.ENTITIES,
            f"person:{name}",
            EntityEvent(
                event_id=f"{article_id}/{name}",
                article_id=article_id,
                entity_id=f"person:{name}",
                name=name,
                type="PERSON",
                mentions=[],
                salience=1.0,
                source=SOURCE,
            ),
        )
        for name in names
    ]


def _published_expiry(published: Recording, days: float = 31) -> StateExpiry:
    return StateExpiry([Expiring(published, retract.stamp)], days)


def test_what_an_article_published_is_forgotten_32_days_behind_the_watermark_and_kept_29_days_behind() -> (
    None
):
    published = Recording()
    expiry = _published_expiry(published)
    for article_id, days_ago in (("old", 32), ("mid", 29), ("new", 0)):
        limit = expiry.limit(0)
        retract.correct(
            published, _article(article_id), _entities(article_id, "Ada"), (0, T - days_ago * DAY), limit
        )
        expiry.advance(0, T - days_ago * DAY)
    assert published.tombstones == ["old"]
    assert set(published) == {"mid", "new"}


def test_a_correction_after_the_entry_expired_is_a_first_version_and_retracts_nothing() -> None:
    published = Recording()
    expiry = _published_expiry(published)
    for article_id in ("a", "b"):  # both say Ada and Bo, 40 days ago
        v1 = _entities(article_id, "Ada", "Bo")
        retract.correct(published, _article(article_id), v1, (0, T - 40 * DAY), expiry.limit(0))
    expiry.advance(0, T - 40 * DAY)
    expiry.advance(1, T)  # another partition's watermark does not age partition 0's entries
    sent = retract.correct(published, _article("a", 2), _entities("a", "Ada"), (0, T), expiry.limit(0))
    assert [(o.event.retracts, o.event.reason) for o in sent] == [("a/Bo", "corrected")]  # still known
    expiry.advance(0, T)  # partition 0 reaches today: "b" (40 days old) is past the horizon
    sent = retract.correct(published, _article("b", 2), _entities("b", "Ada"), (0, T), expiry.limit(0))
    assert [o.event.event_id for o in sent] == ["b/Ada"]  # sent as new; nothing to retract
    assert published["b"]["v"] == 2 and published["b"]["t"] == T


def test_a_kill_of_an_expired_article_sends_its_tombstone_and_no_retraction() -> None:
    published = Recording()
    expiry = _published_expiry(published)
    retract.correct(published, _article("a"), _entities("a", "Ada"), (0, T - 40 * DAY), expiry.limit(0))
    live = retract.withdraw(published, "a", "canceled", NOW, "p1")
    assert [o.spec for o in live] == [flow.ENRICHED, flow.ENTITIES]  # not expired yet: one retraction
    expiry.advance(0, T)
    gone = retract.withdraw(published, "a", "canceled", NOW, "p1", expiry.limit(0))
    assert [(o.spec, o.event) for o in gone] == [(flow.ENRICHED, None)]


def test_published_entries_written_before_expiry_existed_are_stamped_by_their_next_version() -> None:
    published = Recording()
    retract.correct(published, _article("a"), _entities("a", "Ada"))  # as written before: no stamp
    assert "t" not in published["a"]
    expiry = _published_expiry(published)
    expiry.load(0)
    expiry.advance(0, T + 40 * DAY)
    assert published.tombstones == []  # no time: never swept
    later = T + 40 * DAY
    retract.correct(published, _article("a", 2), _entities("a", "Ada"), (0, later), expiry.limit(0))
    expiry.advance(0, later)  # as the agent does after each version
    assert published["a"]["t"] == later
    expiry.advance(0, later + 30 * DAY)
    assert published.tombstones == []
    expiry.advance(0, later + 32 * DAY)
    assert published.tombstones == ["a"]
