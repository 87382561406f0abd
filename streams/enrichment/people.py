"""Each enrich worker's memory of every source's people, folded from news.people.learned.

Clean articles are spread over partitions by article id, so the articles of one source meet different
workers. Each worker reads every partition of news.people.learned (no consumer group) into a
`KnownPeople`; the merge is commutative and idempotent, so workers that read the same updates in any
order, or twice after a crash, know the same people. A worker also learns from its own articles at once,
before their updates come back from Kafka.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from streams.enrichment.entities import merge_people


class KnownPeople:
    """Source → (lower-case surname → full name), as every article of that source so far taught it."""

    def __init__(self) -> None:
        self._by_source: dict[str, dict[str, str]] = {}

    def get(self, source: str) -> dict[str, str]:
        """A copy of what is known of one source's people."""
        return dict(self._by_source.get(source) or {})

    def learn(self, source: str, learned: Mapping[str, str]) -> None:
        if learned:
            self._by_source[source] = merge_people(self._by_source.get(source) or {}, learned)

    def apply(self, value: bytes) -> None:
        """Fold one news.people.learned message (a PeopleLearned event as JSON) in."""
        event = orjson.loads(value)
        source, people = event["source"], event["people"]
        if not isinstance(source, str) or not isinstance(people, dict):
            raise ValueError("a PeopleLearned event needs a string source and a people object")
        self.learn(source, {k: v for k, v in people.items() if isinstance(k, str) and isinstance(v, str)})

    def __len__(self) -> int:
        return len(self._by_source)
