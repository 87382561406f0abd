"""What a replay reports: offsets retention deleted, and a range whose state started empty."""

from __future__ import annotations

from collections import Counter

from streams.tools.replay import Summary


def test_a_whole_replay_says_what_it_sent() -> None:
    summary = Summary(read=3, events=Counter({"news.quotes.v2": 2, "news.topics.v2": 3}))
    assert summary.describe() == "replayed 3 raw message(s) → news.quotes.v2: 2, news.topics.v2: 3"


def test_deleted_offsets_and_a_partial_range_are_said() -> None:
    lines = Summary(read=5, deleted={0: (2, 5)}, partial=True).describe().splitlines()
    assert lines[0] == "replayed 5 raw message(s) → nothing"
    assert lines[1] == "partition 0: offsets 2–4 were deleted by retention; replayed from the log start, 5"
    assert lines[2].startswith("state built from the replayed range only")
