"""The stages chained over plain values: what the agents run per message and `process` runs per file."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from streams import flow
from streams.clean import clean, parse_raw
from streams.records import CleanArticle, Event, RawArticle
from streams.settings import Settings


@dataclass(frozen=True)
class Outgoing:
    """One event a stage emits: the topic it goes to, its key and its value."""

    spec: flow.TopicSpec
    key: str
    event: Event


@dataclass
class State:
    """Stage memory. The worker passes Faust tables (changelogged); `process` passes plain dicts."""

    versions: MutableMapping[str, Any] = field(default_factory=dict)
    learned: MutableMapping[str, Any] = field(default_factory=dict)
    syndication: MutableMapping[str, Any] = field(default_factory=dict)
    people: MutableMapping[str, Any] = field(default_factory=dict)


def intake(value: bytes, settings: Settings) -> RawArticle:
    """Validate a raw message (raises Rejected); the agent then re-keys it by source."""
    return parse_raw(value, max_body_bytes=settings.max_body_bytes)


def clean_stage(raw: RawArticle, settings: Settings, state: State) -> list[Outgoing]:
    """Raw article to its clean event (raises Rejected)."""
    article: CleanArticle = clean(raw, pipeline_version=settings.pipeline_version)
    return [Outgoing(flow.CLEAN, article.article_id, article)]
