"""The reviewed Kafka topic configuration: what `topics apply` asks of every topic, and the rules behind it.

Expected values are written from the review (README: Topics), not read from flow.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streams.enrichment.enrich import people_learned
from streams.enrichment.entities import Entity, people_named, remember_people
from streams.enrichment.entities.model import EntityMention
from streams.enrichment.people import KnownPeople
from streams.events import flow
from streams.events.records import CleanArticle, to_json
from streams.kafka import admin, clients
from streams.settings import Settings
from streams.tools.cli import build_parser
from tests.conftest import clean_article

DAY = 24 * 3600 * 1000
# 4 x the default 2,000,000-byte body limit + 1 MiB: the largest record the worker writes.
MAX_MESSAGE = 9_048_576
REVIEWED = {
    "news.articles.raw": ("delete", 30 * DAY),
    # No shorter than the raw topic: a clean stage down for days loses nothing raw still has.
    "news.articles.raw.by-source": ("delete", 30 * DAY),
    # Syndication hops: as long as raw too, for the same reason.
    "news.articles.syndication": ("delete", 30 * DAY),
    # The kill gate's input: as long as raw too; the kills themselves are kept for good (every replay).
    "news.articles.gate": ("delete", 30 * DAY),
    "news.articles.kills": ("compact", -1),
    # The article store and the people memory: compacted, every key's latest record kept for good.
    "news.articles.clean": ("compact", -1),
    "news.articles.enriched": ("compact", -1),
    "news.entities": ("delete", 7 * DAY),
    "news.quotes": ("delete", 7 * DAY),
    "news.topics": ("delete", 7 * DAY),
    "news.people.learned": ("compact", -1),
    # Windows: compacted per window, and a window's record goes a day after it was last written.
    "news.entities.trending": ("compact,delete", DAY),
    "news.deadletter": ("delete", 30 * DAY),
}


@pytest.mark.parametrize("spec", flow.FLOW, ids=lambda s: s.name)
def test_desired_config_is_the_reviewed_one(spec: flow.TopicSpec) -> None:
    policy, retention = REVIEWED[spec.name]
    assert admin.desired_config(spec, Settings()) == {
        "cleanup.policy": policy,
        "retention.ms": str(retention),
        "max.message.bytes": str(MAX_MESSAGE),
        "min.insync.replicas": "1",  # the default replication is 1
    }


def test_every_topic_is_reviewed() -> None:
    assert [spec.name for spec in flow.FLOW] == list(REVIEWED)


@pytest.mark.parametrize(("replication", "min_isr"), [(1, "1"), (2, "2"), (3, "2"), (5, "2")])
def test_min_insync_replicas_is_two_where_there_are_two(replication: int, min_isr: str) -> None:
    config = admin.desired_config(flow.RAW, Settings(replication=replication))
    assert config["min.insync.replicas"] == min_isr


def test_min_insync_replicas_follows_an_existing_topics_replicas() -> None:
    # A topic created with one replica keeps one: asking for two would refuse every acks=all write.
    assert admin.desired_config(flow.RAW, Settings(replication=3), replicas=1)["min.insync.replicas"] == "1"


def test_max_message_bytes_follows_the_body_limit_and_the_producer(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(max_body_bytes=1_000_000)
    assert admin.desired_config(flow.ENRICHED, settings)["max.message.bytes"] == str(4_000_000 + 1_048_576)
    made: list[dict[str, Any]] = []
    monkeypatch.setattr(clients, "AIOKafkaProducer", lambda **options: made.append(options))
    # Whatever the project's producers may send, the topics accept: the same number on both sides.
    clients.producer(settings)
    assert made[0]["max_request_size"] == 5_048_576
    clients.producer(settings, max_request_size=1000)  # a caller may still ask for less
    assert made[1]["max_request_size"] == 1000


def test_an_article_the_raw_topic_accepts_fits_the_message_limit() -> None:
    # Intake refuses raw messages over the body limit + 64 KiB: those must fit a raw topic's records.
    settings = Settings()
    assert settings.max_body_bytes + 64 * 1024 < int(
        admin.desired_config(flow.RAW, settings)["max.message.bytes"]
    )


def test_retention_must_mean_what_it_says() -> None:
    with pytest.raises(ValueError, match="FOREVER"):
        flow.TopicSpec("x", "k", None, "compacted with a retention Kafka would ignore", compacted=True)
    with pytest.raises(ValueError, match="FOREVER"):
        flow.TopicSpec("x", "k", None, "deleted yet forever", retention_ms=flow.FOREVER)
    with pytest.raises(ValueError, match="compacted"):
        flow.TopicSpec("x", "k", None, "expires without compaction", expires=True)
    with pytest.raises(ValueError, match="positive"):
        flow.TopicSpec("x", "k", None, "zero", retention_ms=0)


def test_the_behind_message_names_the_explicit_command() -> None:
    message = admin.behind_message({"p.news.quotes": 2, "p.news.articles.raw": 3}, 4)
    assert "newsstreams topics repartition --force" in message
    assert "p.news.articles.raw (3), p.news.quotes (2)" in message
    assert "4 configured" in message


def test_repartition_parses_with_and_without_force() -> None:
    parser = build_parser()
    assert parser.parse_args(["topics", "repartition"]).force is False
    assert parser.parse_args(["topics", "repartition", "--force"]).force is True


# --- learned people: one record per source and person ----------------------------------------------


def _person(name: str) -> Entity:
    """A person the article names as written (an article teaches only a full name it writes out)."""
    said = EntityMention(
        text=name, section="body", paragraph=0, start=0, end=len(name), doc_start=0, doc_end=len(name)
    )
    return Entity(
        entity_id=f"person:{name.lower().replace(' ', '-')}", name=name, type="PERSON", mentions=(said,)
    )


def test_learned_people_are_one_event_per_person_keyed_by_source_and_person() -> None:
    entities = [
        _person("Sergei Lavrov"),
        _person("Boris Johnson"),
        _person("Jo Johnson"),  # the same surname: two people, two records
        _person("Lavrov"),  # a surname alone teaches nothing
        Entity(entity_id="org:acme-corp", name="Acme Corp", type="ORG", mentions=()),
    ]
    article = clean_article("text", source="example.com")
    out = people_learned(article, people_named(entities), Settings())
    assert [o.spec for o in out] == [flow.PEOPLE_LEARNED] * 3
    assert {o.key: o.event.people for o in out} == {  # type: ignore[attr-defined]
        "example.com|sergei lavrov": {"lavrov": "Sergei Lavrov"},
        "example.com|boris johnson": {"johnson": "Boris Johnson"},
        "example.com|jo johnson": {"johnson": "Jo Johnson"},
    }
    assert len({o.event.event_id for o in out}) == 3
    # Folded as every worker folds the topic, they teach what the article taught: Johnson is ambiguous.
    known = KnownPeople()
    for o in out:
        known.apply(to_json(o.event))
    assert known.get("example.com") == {"lavrov": "Sergei Lavrov", "johnson": ""}
    assert known.get("example.com") == remember_people(entities, {})


def test_a_compacted_people_topic_keeps_what_the_whole_history_taught() -> None:
    # Compaction keeps the last record per key; per person, that loses no one and no ambiguity.
    articles = [
        [_person("Sergei Lavrov")],
        [_person("Boris Johnson"), _person("Sergei Lavrov")],
        [_person("Dustin Johnson")],
    ]
    log = [
        o for i, a in enumerate(articles) for o in people_learned(_article(i), people_named(a), Settings())
    ]
    compacted = {o.key: o for o in log}
    assert sorted(compacted) == ["s|boris johnson", "s|dustin johnson", "s|sergei lavrov"]
    whole, kept = KnownPeople(), KnownPeople()
    for o in log:
        whole.apply(to_json(o.event))
    for o in compacted.values():
        kept.apply(to_json(o.event))
    assert kept.get("s") == whole.get("s") == {"lavrov": "Sergei Lavrov", "johnson": ""}


def test_one_person_spelt_two_ways_is_one_key() -> None:
    [a] = people_learned(_article(0), people_named([_person("Sergei Lavrov")]), Settings())
    [b] = people_learned(_article(1), people_named([_person("SERGEI LAVROV")]), Settings())
    assert a.key == b.key == "s|sergei lavrov"


def _article(i: int) -> CleanArticle:
    article: CleanArticle = clean_article("text", source="s").derive(article_id=f"a{i}")
    return article


def test_the_workers_faust_topics_are_listed_and_configured_like_the_flows(tmp_path: Path) -> None:
    from streams.worker.app import create_app, internal_topics

    settings = Settings(data_dir=str(tmp_path), app_id="p.app", topic_prefix="p.", replication=3)
    # What `topics repartition` grows besides the flow: each table's changelog, the trending regrouping.
    assert internal_topics(settings) == (
        "p.app-clean-article-versions-changelog",
        "p.app-clean-learned-boilerplate-changelog",
        "p.app-enrich-published-changelog",
        "p.app-gate-kills-changelog",
        "p.app-syndication-changelog",
        "p.app-trending-panes-changelog",
        "p.app-trending-topics-by-code-repartition",
    )
    app = create_app(settings)
    # Faust creates them with the same message size and min.insync.replicas (compaction is its own).
    for table in app.tables.values():
        assert table.changelog_topic.config == {
            "max.message.bytes": str(MAX_MESSAGE),
            "min.insync.replicas": "2",
        }
    [regroup] = [a.channel for a in app.agents.values() if a.name.endswith("trending-topics")]
    assert regroup.config == {"max.message.bytes": str(MAX_MESSAGE), "min.insync.replicas": "2"}


def test_the_worker_declares_its_faust_topics_as_faust_would(tmp_path: Path) -> None:
    from mode.utils.times import want_seconds

    from streams.worker.app import create_app, faust_topics, internal_topics

    settings = Settings(data_dir=str(tmp_path), app_id="p.app", topic_prefix="p.", replication=3)
    app = create_app(settings)
    declared = faust_topics(app, settings)
    assert tuple(declared) == internal_topics(settings)
    # Faust's own aiokafka transport builds a topic's creation config so (`_really_create_topic`).
    transport = app.transport
    faust_own = [table.changelog_topic for table in app.tables.values()]
    faust_own += [a.channel for a in app.agents.values() if a.name.endswith("trending-topics")]
    for topic in faust_own:
        retention = int(want_seconds(topic.retention) * 1000) if topic.retention else None
        config = transport._topic_config(retention, topic.compacting, topic.deleting)
        config.update(topic.config or {})
        [name] = topic.topics
        assert declared[name] == (settings.partitions, {k: str(v) for k, v in config.items()}), name
