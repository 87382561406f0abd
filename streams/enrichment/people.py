"""Each enrich worker's memory of every source's people, folded from news.people.learned.

Clean articles are spread over partitions by article id, so the articles of one source meet different
workers. Each worker reads every partition of news.people.learned (no consumer group) into a
`KnownPeople`; the merge is commutative and idempotent, so workers that read the same updates in any
order, or twice after a crash, know the same people. A worker also learns from its own articles at once,
before their updates come back from Kafka.

Each person remembers the articles that taught it (`taught_by`, up to MAX_TEACHERS). A killed article
teaches no one: a person it alone taught is forgotten (a tombstone for the person's key), and one others
taught too stays, with the kill named in the record's `withdrawn`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from streams.enrichment.names import merge_people
from streams.events import flow
from streams.events.flow import Outgoing
from streams.events.records import PeopleLearned, event_id

# Beyond this many teachers one kill can never make a person unknown: more are not kept.
MAX_TEACHERS = 8


@dataclass(frozen=True)
class Forgotten:
    """What a kill changed for one person of one source: the articles still teaching it (none: gone)."""

    source: str
    person: str
    entry: dict[str, str]
    teachers: list[str]


class KnownPeople:
    """Source → (lower-case surname → full name), as every article of that source so far taught it."""

    def __init__(self) -> None:
        self._by_source: dict[str, dict[str, str]] = {}
        self._entries: dict[str, dict[str, dict[str, str]]] = {}  # source → person key → its entry
        self._teachers: dict[tuple[str, str], set[str]] = {}
        self._withdrawn: set[str] = set()  # killed articles: they teach no one

    def get(self, source: str) -> dict[str, str]:
        """A copy of what is known of one source's people."""
        return dict(self._by_source.get(source) or {})

    def learn(self, source: str, learned: Mapping[str, str]) -> None:
        """Merge a surname map whose teachers are not known (a record older than `taught_by`)."""
        if learned:
            self._by_source[source] = merge_people(self._by_source.get(source) or {}, learned)

    def teach(self, source: str, person: str, entry: Mapping[str, str], teachers: list[str]) -> list[str]:
        """`teachers` named `person` (the matching key of a full name) in full; returns every article known
        to teach it. A withdrawn article is not one, unless it is among `teachers` (a withhold lifted)."""
        known = self._teachers.setdefault((source, person), set())
        for article_id in teachers:
            if len(known) < MAX_TEACHERS:
                known.add(article_id)
        self._entries.setdefault(source, {})[person] = dict(entry)
        self.learn(source, entry)
        return sorted(known)

    def fold(self, key: str, event: PeopleLearned) -> None:
        """One record of news.people.learned: its withdrawals first, then what it teaches."""
        for article_id in event.withdrawn:
            self._withdraw(article_id)
        person = key.partition("|")[2]
        teachers = [a for a in {*event.taught_by, event.article_id} if a not in self._withdrawn]
        if not person or not teachers:
            if not person:  # a record from before one key per person: nothing to take back later
                self.learn(event.source, event.people)
            return
        self.teach(event.source, person, event.people, teachers)

    def forget(self, article_id: str) -> list[Forgotten]:
        """A killed article teaches no one from now on: each person it taught, and who still teaches it."""
        return self._withdraw(article_id)

    def _withdraw(self, article_id: str) -> list[Forgotten]:
        self._withdrawn.add(article_id)
        changed = []
        for (source, person), teachers in list(self._teachers.items()):
            if article_id not in teachers:
                continue
            teachers.discard(article_id)
            entry = self._entries.get(source, {}).get(person, {})
            if not teachers:
                self.drop(source, person)
            changed.append(Forgotten(source, person, entry, sorted(teachers)))
        return changed

    def drop(self, source: str, person: str) -> None:
        """Forget one person of one source (a tombstone for its key): the source's map is merged again."""
        self._teachers.pop((source, person), None)
        entries = self._entries.get(source, {})
        if entries.pop(person, None) is None:
            return
        merged: dict[str, str] = {}
        for entry in entries.values():
            merged = merge_people(merged, entry)
        self._by_source[source] = merged

    def apply(self, value: bytes | None, key: bytes | None = None) -> None:
        """Fold one news.people.learned message (a PeopleLearned event as JSON, or a tombstone) in."""
        name = (key or b"").decode("utf-8", "replace")
        if value is None:
            source, _, person = name.partition("|")
            if person:
                self.drop(source, person)
            return
        event = orjson.loads(value)
        source, people = event["source"], event["people"]
        if not isinstance(source, str) or not isinstance(people, dict):
            raise ValueError("a PeopleLearned event needs a string source and a people object")
        clean = {k: v for k, v in people.items() if isinstance(k, str) and isinstance(v, str)}
        record = PeopleLearned(
            event_id=str(event.get("event_id", "")),
            source=source,
            article_id=str(event.get("article_id", "")),
            version=int(event.get("version") or 0),
            people=clean,
            taught_by=[a for a in event.get("taught_by") or [] if isinstance(a, str)],
            withdrawn=[a for a in event.get("withdrawn") or [] if isinstance(a, str)],
        )
        self.fold(name if "|" in name else "", record)

    def __len__(self) -> int:
        return len(self._by_source)


def taught(known: KnownPeople, outgoing: list[Outgoing]) -> list[Outgoing]:
    """An article's outputs with each person it taught learned here at once, and its record naming every
    article known to teach that person (so a worker that starts later knows them from the record)."""
    stamped = []
    for out in outgoing:
        if out.spec is flow.PEOPLE_LEARNED and isinstance(out.event, PeopleLearned):
            event = out.event
            person = out.key.partition("|")[2]
            teachers = known.teach(event.source, person, event.people, [event.article_id])
            out = Outgoing(out.spec, out.key, event.derive(taught_by=teachers))
        stamped.append(out)
    return stamped


def forgotten(known: KnownPeople, article_id: str, version: int, pipeline: str) -> list[Outgoing]:
    """What a kill sends on news.people.learned: a tombstone for a person it alone taught, a record naming
    the kill in `withdrawn` for one other articles taught too."""
    outputs = []
    for f in known.forget(article_id):
        key = f"{f.source}|{f.person}"
        if not f.teachers:
            outputs.append(Outgoing(flow.PEOPLE_LEARNED, key, None))
            continue
        record = PeopleLearned(
            event_id=event_id(article_id, "people-withdrawn", f.person, *f.teachers),
            source=f.source,
            article_id=article_id,
            version=version,
            people=f.entry,
            taught_by=f.teachers,
            withdrawn=[article_id],
            pipeline_version=pipeline,
        )
        outputs.append(Outgoing(flow.PEOPLE_LEARNED, key, record))
    return outputs
