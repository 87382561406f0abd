"""/metrics lag: only the stream partitions the worker owns, and no label left for a revoked one."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from faust.types import TP

from streams.worker.health import Metrics, owned_stream_partitions, stream_lag

RAW0, RAW1 = TP("raw", 0), TP("raw", 1)
CHANGELOG = TP("app-versions-changelog", 0)


def _app(assignment: set[TP], changelogs: set[str], end: dict[TP, int], committed: dict[TP, int]) -> Any:
    consumer = SimpleNamespace(assignment=lambda: assignment)
    return SimpleNamespace(
        _consumer=consumer,
        tables=SimpleNamespace(changelog_topics=changelogs),
        monitor=SimpleNamespace(tp_end_offsets=end, tp_committed_offsets=committed),
    )


def _lag_samples(metrics: Metrics) -> dict[tuple[str, str], float]:
    (family,) = [m for m in metrics.registry.collect() if m.name == "newsstreams_consumer_lag"]
    return {(s.labels["topic"], s.labels["partition"]): s.value for s in family.samples}


def test_lag_is_end_minus_committed_for_owned_partitions_only() -> None:
    end = {RAW0: 10, RAW1: 7, CHANGELOG: 5000}
    assert stream_lag({RAW0, RAW1}, end, {RAW0: 4}) == {("raw", 0): 6, ("raw", 1): 7}
    assert stream_lag({RAW0}, end, {RAW0: 12}) == {("raw", 0): 0}  # never negative
    assert stream_lag({RAW0}, {}, {}) == {}  # end not known yet: no figure rather than a wrong one


def test_changelog_partitions_are_not_stream_partitions() -> None:
    app = _app({RAW0, CHANGELOG}, {CHANGELOG.topic}, {}, {})
    assert owned_stream_partitions(app) == {RAW0}
    assert owned_stream_partitions(SimpleNamespace(_consumer=None)) == set()  # type: ignore[arg-type]


def test_render_drops_changelogs_and_revoked_partitions() -> None:
    metrics = Metrics()
    end, committed = {RAW0: 10, RAW1: 7, CHANGELOG: 5000}, {RAW0: 4, RAW1: 7}
    metrics.render(_app({RAW0, RAW1, CHANGELOG}, {CHANGELOG.topic}, end, committed))
    assert _lag_samples(metrics) == {("raw", "0"): 6.0, ("raw", "1"): 0.0}
    # RAW1 revoked (another worker owns it now): its label goes, not frozen at its last value.
    metrics.render(_app({RAW0, CHANGELOG}, {CHANGELOG.topic}, end, committed))
    assert _lag_samples(metrics) == {("raw", "0"): 6.0}
