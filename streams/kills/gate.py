"""The kill gate, pure: which clean versions reach news.articles.clean, and what a kill sends.

Kills are kept per article id (`Kills`, a Faust table in the worker, a dict in `process` and `replay`):
`{"status": "canceled" | "withheld", "killed_at": seconds}`. A canceled article never comes back. A withheld
one comes back with a version whose raw message reached Kafka after the withhold (`received`): feeds lift a
withhold by publishing the article again as usable.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from streams.events import flow
from streams.events.flow import Outgoing
from streams.events.records import CleanArticle, GateInput, Kill, RawArticle, event_id, gate_input

CANCELED = "canceled"
WITHHELD = "withheld"
KILL_STATUSES = (CANCELED, WITHHELD)

Kills = MutableMapping[str, Any]


def is_kill(raw: RawArticle) -> bool:
    return (raw.pubstatus or "").lower() in KILL_STATUSES


def kill_of(
    article_id: str, status: str, killed_at: float, pipeline_version: str, source: str | None = None
) -> Kill:
    """The Kill record of one withdrawal; its id is the article's, the status's and the kill's time."""
    return Kill(
        event_id=event_id(article_id, "kill", status, killed_at),
        article_id=article_id,
        status=status,
        killed_at=datetime.fromtimestamp(killed_at, UTC),
        source=source or None,
        pipeline_version=pipeline_version,
    )


def kill_input(raw: RawArticle, killed_at: float, pipeline_version: str) -> Outgoing:
    """A raw kill message on its way to the article's gate partition."""
    kill = kill_of(raw.id, (raw.pubstatus or "").lower(), killed_at, pipeline_version, raw.source)
    return Outgoing(flow.GATE, raw.id, gate_input(kill=kill, received=killed_at))


def tombstone_input(article_id: str, killed_at: float, pipeline_version: str) -> Outgoing:
    """A tombstone on news.articles.raw: the article deleted, as final as a cancel."""
    return Outgoing(
        flow.GATE,
        article_id,
        gate_input(kill=kill_of(article_id, CANCELED, killed_at, pipeline_version), received=killed_at),
    )


def suppressed(kills: Kills, article_id: str, received: float) -> bool:
    """Whether a kill stands against a version of `article_id` whose raw message arrived at `received`."""
    kill = kills.get(article_id)
    if not kill:
        return False
    return kill["status"] == CANCELED or received <= float(kill["killed_at"])


def remember(kills: Kills, kill: Kill) -> bool:
    """Keep `kill` unless it changes nothing (a redelivery); a cancel is never undone by a withhold."""
    killed_at = kill.killed_at.timestamp()
    old = kills.get(kill.article_id)
    if old and old["status"] == CANCELED and kill.status != CANCELED:
        return False
    if old and old["status"] == kill.status and float(old["killed_at"]) >= killed_at:
        return False
    kills[kill.article_id] = {"status": kill.status, "killed_at": killed_at}
    return True


def admit(kills: Kills, gate: GateInput) -> list[Outgoing]:
    """What the gate sends for one input: a clean version (published unless a kill stands) or a kill (kept
    on news.articles.kills, and a tombstone on news.articles.clean that the enrich stage turns into
    retractions). A kill is sent on again when redelivered: its outputs may not have reached Kafka."""
    if gate.kill is not None:
        kill = gate.kill
        remember(kills, kill)
        standing = kills[kill.article_id]
        if standing["status"] != kill.status:  # a withhold after a cancel: the cancel stands
            kill = kill.derive(status=standing["status"])
        return [
            Outgoing(flow.KILLS, kill.article_id, kill),
            Outgoing(flow.CLEAN, kill.article_id, None, cause=kill),
        ]
    article: CleanArticle | None = gate.article
    if article is None or suppressed(kills, article.article_id, gate.received):
        return []
    return [Outgoing(flow.CLEAN, article.article_id, article)]


def load_kills(kills: Kills, records: list[tuple[bytes | None, bytes | None]]) -> int:
    """Fold news.articles.kills messages (as read by `replay`) into `kills`; returns how many were kept."""
    kept = 0
    for _key, value in records:
        if value is None:
            continue
        kill = Kill.loads(value, serializer="orjson")
        kept += remember(kills, kill)
    return kept
