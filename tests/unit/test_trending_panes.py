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
