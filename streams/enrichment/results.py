"""What enriching one article produced: a plain value, free of spaCy, that crosses from the NLP process."""

from __future__ import annotations

from dataclasses import dataclass

from streams.events.flow import Outgoing
from streams.events.records import CleanArticle


@dataclass(frozen=True)
class Enriched:
    """What enriching one article produced: its events, the people it named in full (`learned`) and the
    people its source now knows (`people`: what was known merged with `learned`)."""

    article: CleanArticle
    outgoing: list[Outgoing]
    people: dict[str, str]
    learned: dict[str, str]
