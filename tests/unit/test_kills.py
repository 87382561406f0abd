"""Kills and corrections through `process` (the same gate and retractions as the worker), read back as a
consumer of each topic would: an event is active until a Retraction on its topic names its id."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streams.cleaning.stage import State
from streams.enrichment.enrich import Enricher
from streams.enrichment.iptc import TopicClassifier
from streams.enrichment.people import KnownPeople
from streams.events import flow
from streams.events.flow import Outgoing
from streams.events.records import (
    CleanArticle,
    EnrichedArticle,
    EntityEvent,
    Kill,
    PeopleLearned,
    QuoteEvent,
    Retraction,
    to_json,
)
from streams.kills.gate import load_kills
from streams.settings import Settings
from streams.tools import process

SETTINGS = Settings()
EVENT_TOPICS = (flow.ENTITIES, flow.QUOTES, flow.TOPICS)

# Two quotes by one named speaker; the third paragraph holds the second quote alone.
PARAGRAPHS = [
    "Maria Lopez, the finance minister of Spain, presented the new budget in Madrid on Monday.",
    '"This budget puts schools and hospitals first," Lopez told parliament.',
    '"We will not raise taxes on families this year," Lopez said.',
    "The opposition said it would vote against the plan when it reaches the chamber next month.",
]


@pytest.fixture(scope="module")
def enricher(nlp: Any) -> Enricher:
    return Enricher(nlp, TopicClassifier.load(None), SETTINGS)


def raw(article_id: str, paragraphs: list[str], **extra: Any) -> tuple[str, bytes]:
    body = {"id": article_id, "source": "wire.example", "content_type": "text/plain"}
    return article_id, orjson.dumps({**body, "body": "\n\n".join(paragraphs), **extra})


def kill(article_id: str, status: str = "canceled") -> tuple[str, bytes]:
    return article_id, orjson.dumps({"id": article_id, "pubstatus": status})


def run(messages: list[Any], state: State, enricher: Enricher) -> list[Outgoing]:
    return process.run(messages, SETTINGS, state=state, enricher=enricher)


def active(outputs: list[Outgoing]) -> dict[str, set[str]]:
    """Per event topic, the ids still standing once every retraction read so far is applied."""
    standing: dict[str, set[str]] = {spec.name: set() for spec in EVENT_TOPICS}
    for out in outputs:
        if out.spec not in EVENT_TOPICS:
            continue
        ids = standing[out.spec.name]
        if isinstance(out.event, Retraction):
            ids.discard(out.event.retracts)
        else:
            ids.add(str(out.event.event_id))
    return standing


def test_a_killed_article_leaves_no_active_event_and_tombstones_its_article(enricher: Enricher) -> None:
    state = State()
    first = run([raw("k/1", PARAGRAPHS)], state, enricher)
    published = active(first)
    assert published[flow.QUOTES.name] and published[flow.ENTITIES.name]  # something to take back
    after = run([kill("k/1")], state, enricher)
    # Every event the article published is retracted on its own topic and key, and nothing else is sent.
    assert active([*first, *after]) == {spec.name: set() for spec in EVENT_TOPICS}
    retractions = [o for o in after if isinstance(o.event, Retraction)]
    assert len(retractions) == sum(len(ids) for ids in published.values())
    keys = {(o.spec, str(o.event.event_id)): o.key for o in first if o.spec in EVENT_TOPICS}
    for r in retractions:
        assert isinstance(r.event, Retraction) and r.event.reason == "canceled"
        assert keys[(r.spec, r.event.retracts)] == r.key  # the event's own key
    tombstones = {(o.spec, o.key) for o in after if o.event is None}
    # The person only this article named in full is forgotten too (news.people.learned is compacted).
    people = {(flow.PEOPLE_LEARNED, "wire.example|maria lopez")}
    assert tombstones == {(flow.CLEAN, "k/1"), (flow.ENRICHED, "k/1"), *people}
    [record] = [o.event for o in after if o.spec is flow.KILLS]
    assert isinstance(record, Kill) and record.article_id == "k/1" and record.status == "canceled"


def test_a_kill_that_comes_first_suppresses_the_article_and_a_new_run_honours_the_kills_topic(
    enricher: Enricher,
) -> None:
    state = State()
    early = run([kill("k/2"), raw("k/2", PARAGRAPHS)], state, enricher)
    assert not [o for o in early if isinstance(o.event, CleanArticle | EnrichedArticle | QuoteEvent)]
    # A replay of a range holding the article but not its kill reads news.articles.kills first.
    [record] = [o for o in early if o.spec is flow.KILLS]
    assert isinstance(record.event, Kill)
    replayed = State()
    assert load_kills(replayed.kills, [(b"k/2", to_json(record.event)), (b"k/3", None)]) == 1
    again = run([raw("k/2", PARAGRAPHS)], replayed, enricher)
    assert again == []


def test_a_tombstone_on_the_raw_topic_is_a_kill(enricher: Enricher) -> None:
    state = State()
    first = run([raw("k/4", PARAGRAPHS)], state, enricher)
    after = run([("k/4", None)], state, enricher)
    assert active([*first, *after]) == {spec.name: set() for spec in EVENT_TOPICS}
    # A later copy of the deleted article stays out.
    assert run([raw("k/4", [*PARAGRAPHS, "An update."])], state, enricher) == []


def test_a_correction_that_removes_one_quote_retracts_that_quote_and_resends_nothing_else(
    enricher: Enricher,
) -> None:
    state = State()
    first = run([raw("c/1", PARAGRAPHS)], state, enricher)
    quotes = [o.event for o in first if isinstance(o.event, QuoteEvent)]
    assert sorted(q.text for q in quotes) == sorted(
        ["This budget puts schools and hospitals first,", "We will not raise taxes on families this year,"]
    )
    [removed] = [q for q in quotes if q.text.startswith("We will not")]
    corrected = run([raw("c/1", [PARAGRAPHS[0], PARAGRAPHS[1], PARAGRAPHS[3]])], state, enricher)
    events = [o for o in corrected if o.spec in EVENT_TOPICS]
    # The removed quote is retracted; no entity, quote or topic event both versions say is sent again.
    assert [(o.spec, type(o.event)) for o in events if o.spec is flow.QUOTES] == [(flow.QUOTES, Retraction)]
    [retraction] = [o.event for o in events if o.spec is flow.QUOTES]
    assert isinstance(retraction, Retraction)
    assert (retraction.retracts, retraction.reason, retraction.version) == (removed.event_id, "corrected", 2)
    sent_before = {str(o.event.event_id) for o in first if o.spec in EVENT_TOPICS}
    assert not [o for o in events if not isinstance(o.event, Retraction)]
    assert all(isinstance(o.event, Retraction) and o.event.retracts in sent_before for o in events)
    [enriched] = [o.event for o in corrected if isinstance(o.event, EnrichedArticle)]
    assert enriched.version == "2"


def test_a_withheld_article_comes_back_when_the_feed_sends_it_again(enricher: Enricher) -> None:
    state = State()
    run([raw("w/1", PARAGRAPHS)], state, enricher)
    held = run([kill("w/1", "withheld")], state, enricher)
    assert [r.event.reason for r in held if isinstance(r.event, Retraction)]
    assert all(
        isinstance(r.event, Retraction) and r.event.reason == "withheld"
        for r in held
        if r.spec in EVENT_TOPICS
    )
    # The same text, sent again as usable after the withhold: a new version, published with its events.
    back = run([raw("w/1", PARAGRAPHS, pubstatus="usable")], state, enricher)
    [clean] = [o.event for o in back if isinstance(o.event, CleanArticle)]
    assert clean.version == 2
    assert active(back)[flow.QUOTES.name]


def test_a_cancel_is_final(enricher: Enricher) -> None:
    state = State()
    run([raw("f/1", PARAGRAPHS), kill("f/1", "canceled"), kill("f/1", "withheld")], state, enricher)
    assert run([raw("f/1", [*PARAGRAPHS, "More."], pubstatus="usable")], state, enricher) == []


def test_a_kill_without_an_id_is_bad_input() -> None:
    [letter] = process.run([(None, orjson.dumps({"pubstatus": "canceled"}))], SETTINGS)
    assert letter.spec is flow.DEADLETTER
    [tombstone_letter] = process.run([(None, None)], SETTINGS)
    assert tombstone_letter.spec is flow.DEADLETTER


LATER = ['"The numbers add up," Ms Lopez told reporters in Madrid on Tuesday.']


def person_ids(outputs: list[Outgoing], article_id: str) -> set[str]:
    return {
        o.event.entity_id
        for o in outputs
        if isinstance(o.event, EntityEvent) and o.event.article_id == article_id and o.event.type == "PERSON"
    }


def test_people_a_killed_article_alone_taught_no_longer_resolve_names(enricher: Enricher) -> None:
    state = State()
    run([raw("p/1", PARAGRAPHS)], state, enricher)
    # Before the kill a bare "Ms Lopez" is the Maria Lopez the source's earlier article named.
    assert person_ids(run([raw("p/2", LATER)], state, enricher), "p/2") == {"person:maria-lopez"}
    run([kill("p/1")], state, enricher)
    assert "person:maria-lopez" not in person_ids(run([raw("p/3", LATER)], state, enricher), "p/3")


def test_people_another_article_also_taught_stay_known_after_a_kill(enricher: Enricher) -> None:
    state = State()
    run([raw("q/1", PARAGRAPHS), raw("q/2", [PARAGRAPHS[0], PARAGRAPHS[3]])], state, enricher)
    killed = run([kill("q/1")], state, enricher)
    [record] = [o.event for o in killed if o.spec is flow.PEOPLE_LEARNED]
    assert isinstance(record, PeopleLearned)
    assert (record.taught_by, record.withdrawn) == (["q/2"], ["q/1"])
    assert person_ids(run([raw("q/3", LATER)], state, enricher), "q/3") == {"person:maria-lopez"}
    # A worker that reads only that record (compaction keeps the last per person) knows the same.
    fresh = KnownPeople()
    fresh.apply(to_json(record), b"wire.example|maria lopez")
    assert fresh.get("wire.example") == {"lopez": "Maria Lopez"}
    fresh.apply(None, b"wire.example|maria lopez")
    assert fresh.get("wire.example") == {}
