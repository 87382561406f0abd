"""Trending panes: distinct-article counts per trailing window, watermark, late events, ageing, rebuild."""

from __future__ import annotations

from streams.trending.panes import HOUR, MINUTE, Contribution, PartitionWindows, WindowCount

T0 = 1_772_539_200  # 2026-03-03T12:00:00Z, a whole hour


def c(
    article: str, seconds: float, key: str = "person:ada", offset: int = -1, version: int = 1
) -> Contribution:
    return Contribution("entity", key, "Ada", article, version, T0 + seconds, offset)


def by_window(windows: list[WindowCount]) -> dict[tuple[str, str, int], int]:
    return {(w.key, w.family.name, w.start - T0): w.count for w in windows}


def test_an_article_counts_once_whatever_its_versions_or_redeliveries() -> None:
    state = PartitionWindows(grace=300)
    done = state.apply([c("a", 5), c("b", 10), c("a", 12, version=2), c("b", 10)])
    assert by_window(done.windows) == {
        ("person:ada", "1m", 0): 2,
        ("person:ada", "1h", 60 - 3600): 2,  # the trailing hour ends at the end of the watermark's pane
    }
    assert done.repeats == 2
    assert state.apply([c("a", 20)]).windows == []  # a redelivery changes nothing, publishes nothing


def test_a_late_event_within_grace_updates_every_window_holding_it_and_beyond_grace_is_dropped() -> None:
    state = PartitionWindows(grace=300)
    state.apply([c("a", 5), c("b", 200)])  # watermark 200 s: trailing windows end at 240 s
    late = state.apply([c("c", 30)])
    assert by_window(late.windows) == {
        ("person:ada", "1m", 0): 2,
        # the hours ending at 60, 120, 180 and 240 s all hold 30 s
        **{("person:ada", "1h", end - 3600): n for end, n in ((60, 2), (120, 2), (180, 2), (240, 3))},
    }
    too_late = state.apply([c("d", 1000), c("e", 600)])
    assert too_late.late == 1
    assert state.count(("entity", "person:ada"), T0, 60) == 2


def test_counts_age_when_panes_close() -> None:
    state = PartitionWindows(grace=300)
    state.apply([c("a", 5), c("b", 10, key="person:bob")])
    # An hour and a minute later only Bob is mentioned: Ada's trailing hour falls back to 0.
    later = state.apply([c("c", 3665, key="person:bob")])
    assert by_window(later.windows) == {
        ("person:bob", "1m", 3660): 1,
        ("person:bob", "1h", 3720 - 3600): 1,
        ("person:ada", "1h", 3720 - 3600): 0,
    }
    hour = next(w for w in later.windows if w.key == "person:ada")
    assert hour.family is HOUR and hour.previous == 1


def test_previous_count_is_the_window_one_length_before() -> None:
    state = PartitionWindows(grace=300)
    state.apply([c("a", 5), c("b", 10), c("c", 20)])
    [minute, _] = sorted(state.apply([c("d", 65)]).windows, key=lambda w: w.family.size)
    assert (minute.family, minute.count, minute.previous) == (MINUTE, 1, 3)


def test_rebuild_from_segments_skips_inputs_after_the_resume_offset_and_keeps_the_watermark() -> None:
    state = PartitionWindows(grace=300)
    first = state.apply([c("a", 5, offset=0), c("b", 900, offset=1)])
    second = state.apply([c("c", 950, offset=2), c("d", 960, offset=3)])
    assert first.segment and second.segment
    # Committed up to offset 2: the second segment is dropped, its inputs will be delivered again.
    again, dropped = PartitionWindows.rebuild(300, [second.segment, first.segment], resume_at=2)
    assert dropped == [1]
    assert again.watermark == T0 + 900
    assert again.apply([c("z", 100, offset=2)]).late == 1  # the late policy survived the restart
    redone = again.apply([c("c", 950, offset=3), c("d", 960, offset=4)])
    assert by_window(redone.windows)[("person:ada", "1m", 900)] == 2  # b and c, not twice
    assert again.apply([c("a", 700, offset=5)]).repeats == 1


def test_old_panes_and_segments_expire() -> None:
    state = PartitionWindows(grace=300)
    state.apply([c("a", 5)])
    state.apply([c("b", 10_000)])
    assert state.count(("entity", "person:ada"), T0, 60) == 0
    assert ("entity", "person:ada", "a") not in state.counted
    assert state.expired_segments() == [0]


def r(article: str, key: str = "person:ada", offset: int = -1) -> Contribution:
    """A retraction of `article`'s contribution to `key` (its time is the pane it takes the article from)."""
    return Contribution("entity", key, "", article, 0, 0.0, offset, retract=True)


def test_a_retraction_takes_an_article_out_and_a_later_version_counts_it_again() -> None:
    state = PartitionWindows(grace=300)
    state.apply([c("a", 5), c("b", 10), c("c", 70)])  # watermark 70 s: trailing windows end at 120 s
    taken = state.apply([r("a")])
    assert taken.retracted == 1
    # The minute that held a, and every hour holding that minute (ending 60 s, and the trailing one at 120 s).
    assert by_window(taken.windows) == {
        ("person:ada", "1m", 0): 1,  # b
        ("person:ada", "1h", 60 - 3600): 1,  # b
        ("person:ada", "1h", 120 - 3600): 2,  # b, c
    }
    assert taken.segment is not None and taken.segment["add"][0][-1] == "retract"
    assert state.watermark == T0 + 70  # a retraction moves no watermark
    again = state.apply([c("a", 5, version=3)])  # a later version names Ada again
    assert again.repeats == 0
    assert by_window(again.windows) == {
        ("person:ada", "1m", 0): 2,
        ("person:ada", "1h", 60 - 3600): 2,
        ("person:ada", "1h", 120 - 3600): 3,
    }


def test_a_retraction_of_what_is_not_counted_changes_nothing_and_a_redelivered_one_neither() -> None:
    state = PartitionWindows(grace=300)
    state.apply([c("a", 5), c("b", 10)])
    never = state.apply([r("z"), r("a", key="person:bob")])  # never seen; seen, but not for Bob
    assert (never.windows, never.segment, never.retracted) == ([], None, 0)
    assert state.apply([r("b")]).retracted == 1
    redelivered = state.apply([r("b")])
    assert (redelivered.windows, redelivered.segment, redelivered.retracted) == ([], None, 0)
    assert state.count(("entity", "person:ada"), T0, 60) == 1  # a alone
    state.apply([c("x", 10_000)])  # a's pane is pruned with the watermark this far on
    pruned = state.apply([r("a")])
    assert (pruned.windows, pruned.segment, pruned.retracted) == ([], None, 0)


def test_a_retraction_behind_the_grace_updates_every_hour_still_held_whole() -> None:
    state = PartitionWindows(grace=300)
    state.apply([c("a", 5), c("b", 10), c("c", 200)])  # trailing windows end at 240 s
    # Within grace, like a late event: the minute and the hours ending at 60, 120, 180 and 240 s.
    assert by_window(state.apply([r("a")]).windows) == {
        ("person:ada", "1m", 0): 1,
        ("person:ada", "1h", 60 - 3600): 1,
        ("person:ada", "1h", 120 - 3600): 1,
        ("person:ada", "1h", 180 - 3600): 1,
        ("person:ada", "1h", 240 - 3600): 2,  # b, c
    }
    state.apply([c("d", 1000)])  # trailing windows end at 1020 s; the retraction is far behind the grace
    # Never late: the minute still counts without b, and so does every hour kept whole with the hour before
    # it, those ending within the grace (300 s) of the trailing one: 720 … 1020 s.
    old = by_window(state.apply([r("b")]).windows)
    hours = {(k, f, s): n for (k, f, s), n in old.items() if f == "1h"}
    assert old[("person:ada", "1m", 0)] == 0
    assert hours == {
        **{("person:ada", "1h", end - 3600): 1 for end in range(720, 961, 60)},  # c
        ("person:ada", "1h", 1020 - 3600): 2,  # c and d
    }
    minute = next(w for w in state.apply([r("c")]).windows if w.family is MINUTE)
    assert (minute.start - T0, minute.count, minute.previous) == (180, 0, 0)


def test_rebuild_replays_retractions_in_order_and_drops_those_to_be_redelivered() -> None:
    live = PartitionWindows(grace=300)
    flushes = [
        [c("a", 5, offset=0), c("b", 10, offset=1), c("c", 70, offset=2)],
        [r("a", offset=3), c("d", 80, offset=4)],
        [c("a", 5, offset=5, version=2), r("c", offset=6)],
    ]
    segments = [s for f in flushes if (s := live.apply(f).segment) is not None]
    assert len(segments) == 3
    ada = ("entity", "person:ada")
    # After all of it: minute 0 holds b and a again, minute 60 holds d (c was taken back).
    whole, dropped = PartitionWindows.rebuild(300, segments, resume_at=None)
    assert dropped == []
    assert (whole.count(ada, T0, 60), whole.count(ada, T0 + 60, 60)) == (2, 1)
    assert (whole.counted, whole.watermark, whole.panes) == (live.counted, live.watermark, live.panes)
    # Committed up to offset 4 (a taken back, d not yet): the last segment goes, the one before it partly.
    part, dropped = PartitionWindows.rebuild(300, segments, resume_at=4)
    assert dropped == [2]
    assert (part.count(ada, T0, 60), part.count(ada, T0 + 60, 60)) == (1, 1)  # b; c
    assert part.watermark == T0 + 70
    redone = part.apply([c("d", 80, offset=4), c("a", 5, offset=5, version=2), r("c", offset=6)])
    assert (redone.repeats, redone.retracted) == (0, 1)
    assert (part.counted, part.watermark) == (live.counted, live.watermark)
    assert (part.count(ada, T0, 60), part.count(ada, T0 + 60, 60)) == (2, 1)


def test_rebuild_reads_rows_saved_before_retractions_and_hand_made_retraction_rows() -> None:
    rows = [
        ["entity", "person:ada", "Ada", "a", 1, T0 + 5, 0],  # a row as saved before retractions existed
        ["entity", "person:ada", "Ada", "b", 1, T0 + 10, 1],
        ["entity", "person:ada", "", "a", 2, T0, 2, "retract"],
    ]
    state, _ = PartitionWindows.rebuild(300, [{"seq": 0, "wm": T0 + 10, "top": T0, "add": rows}], None)
    assert state.count(("entity", "person:ada"), T0, 60) == 1
    assert set(state.counted) == {("entity", "person:ada", "b")}


def test_a_readded_article_stays_counted_once_after_rebuild_when_its_retraction_segment_expired() -> None:
    live = PartitionWindows(grace=300)
    saved = [
        live.apply([c("a", 5, offset=0), c("x", 2000, offset=1)]).segment,
        live.apply([r("a", offset=2)]).segment,  # a's pane (0 s) is the newest this segment holds
        live.apply([c("a", 2010, offset=3, version=2)]).segment,  # an undated later version: a new time
        live.apply([c("y", 7500, offset=4)]).segment,  # prunes pane 0: every pane before 60 s goes
    ]
    assert live.expired_segments() == [1]
    kept = [s for s in saved if s is not None and s["seq"] != 1]
    again, _ = PartitionWindows.rebuild(300, kept, resume_at=None)
    assert again.count(("entity", "person:ada"), T0 + 1980, 60) == 2  # x and a
    # a counted once, at 1980 s: the pruned pane 0 took nothing of it along (a redelivery is a repeat).
    assert (
        again.counted
        == live.counted
        == {
            ("entity", "person:ada", k): (T0 + pane, v)
            for k, pane, v in (("x", 1980, 1), ("a", 1980, 2), ("y", 7500, 1))
        }
    )
