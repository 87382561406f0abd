"""What the enrich stage takes back, pure: per article, the events its latest version said (`Published`, a
Faust table in the worker, a dict in `process`), and the retractions a correction or a kill sends.

An entry is `{"v": version, "status": None | "canceled" | "withheld", "events": [[kind, key, event_id,
topic]], "retracted": [...], "t": event time, "p": input partition}`: enough to name every event it
published on its own topic and key without keeping the events. Event ids come from what an event says, not
the version (enrich.build_events), so a new version sends only what the old one did not say and retracts
only what it no longer says.

Entries expire as the clean stage's article versions do (streams/cleaning/expiry.py): `t` is the event time
of the latest version, `p` the input partition; one older than the caller's `limit` is read as absent, so a
correction that comes after the clean stage has forgotten the article is, here too, a first version.
Entries written before expiry existed have no `t` and are aged from the next version written over them.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

from streams.cleaning.expiry import live, time_stamp
from streams.events import flow
from streams.events.flow import Outgoing
from streams.events.records import CleanArticle, Retraction, TopicEvent, event_id
from streams.kills.gate import kill_of

Published = MutableMapping[str, Any]
CORRECTED = "corrected"
KIND_OF = {flow.ENTITIES: "entity", flow.QUOTES: "quote", flow.TOPICS: "topic"}
SPEC_OF = {kind: spec for spec, kind in KIND_OF.items()}


def said(outgoing: list[Outgoing]) -> list[list[str]]:
    """[kind, Kafka key, event_id, topic code] of each entity, quote and topic event in `outgoing`."""
    rows = []
    for out in outgoing:
        kind = KIND_OF.get(out.spec)
        if kind is not None and out.event is not None:
            code = out.event.topic if isinstance(out.event, TopicEvent) else ""
            rows.append([kind, out.key, str(getattr(out.event, "event_id", "")), code])
    return rows


def retraction(
    row: list[str], article_id: str, reason: str, version: int | None, when: datetime | None, pipeline: str
) -> Outgoing:
    """The Retraction of one published event, on the event's own topic and key."""
    kind, key, withdrawn, code = row
    return Outgoing(
        SPEC_OF[kind],
        key,
        Retraction(
            event_id=event_id("retraction", withdrawn, reason, version),
            retracts=withdrawn,
            article_id=article_id,
            kind=kind,
            reason=reason,
            version=version,
            entity_id=key if kind == "entity" else None,
            topic=code or None,
            retracted_at=when,
            pipeline_version=pipeline,
        ),
    )


Stamp = tuple[int, float]  # (input partition, event time)


# (partition, event time) of an entry, for its expiry; None for one written before expiry existed.
stamp = time_stamp


def correct(
    published: Published,
    article: CleanArticle,
    outgoing: list[Outgoing],
    stamped: Stamp | None = None,
    limit: float = float("-inf"),
) -> list[Outgoing]:
    """What one enriched version sends: all of it the first time (or again, redelivered, or back after a
    withhold); for a newer version, only the events the old one did not say, and a retraction of each
    event the old one said and this one does not. An older version than the one published sends nothing
    (versions can overtake each other on their way through syndication). `stamped` is written with the
    entry (its expiry); an entry with an event time before `limit` is taken as absent."""
    old = live(published.get(article.article_id), limit)
    rows = said(outgoing)
    entry: dict[str, Any] = {"v": article.version, "status": None, "events": rows, "retracted": []}
    if stamped is not None:
        # The highest event time seen, as the clean stage keeps for the article's versions.
        known = stamp(old) if old is not None else None
        entry["p"], entry["t"] = stamped[0], max(stamped[1], known[1] if known else stamped[1])
    if old is None or old.get("status") or int(old["v"]) == article.version:
        if old is not None and not old.get("status") and int(old["v"]) == article.version:
            entry["retracted"] = old.get("retracted") or []  # a redelivery sends its retractions again
        published[article.article_id] = entry
        return [*outgoing, *_retractions(entry["retracted"], article)]
    if article.version < int(old["v"]):
        return []
    before = {row[2] for row in old["events"]}
    now = {row[2] for row in rows}
    entry["retracted"] = [row for row in old["events"] if row[2] not in now]
    published[article.article_id] = entry
    new = [o for o in outgoing if KIND_OF.get(o.spec) is None or _id(o) not in before]
    return [*new, *_retractions(entry["retracted"], article)]


def _retractions(rows: list[list[str]], article: CleanArticle) -> list[Outgoing]:
    when = article.modified_at or article.published_at
    return [
        retraction(row, article.article_id, CORRECTED, article.version, when, article.pipeline_version)
        for row in rows
    ]


def _id(out: Outgoing) -> str:
    return str(getattr(out.event, "event_id", ""))


def withdraw(
    published: Published,
    article_id: str,
    status: str,
    when: datetime | None,
    pipeline: str,
    limit: float = float("-inf"),
) -> list[Outgoing]:
    """A killed article: a tombstone on news.articles.enriched and a retraction of every event its latest
    version published. Sent again when the kill is redelivered (the same ids: consumers drop repeats). The
    entry keeps its stamp: a kill does not make an article younger."""
    old = live(published.get(article_id), limit)
    # The tombstone carries the kill's CloudEvents headers, as the gate's on news.articles.clean does.
    killed_at = when.timestamp() if when is not None else 0.0
    cause = kill_of(article_id, status, killed_at, pipeline)
    outputs = [Outgoing(flow.ENRICHED, article_id, None, cause=cause)]
    if old is None:
        return outputs
    published[article_id] = {**old, "status": status}
    return [*outputs, *(retraction(row, article_id, status, None, when, pipeline) for row in old["events"])]
