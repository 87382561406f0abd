"""The dashboard's detail views: one article with its entities and quotes marked, and one entity's page.

Pure functions over what the dashboard remembers; the page renders the segments as text nodes, so article
text never becomes markup.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class Span:
    """A marked stretch of one body paragraph: an entity mention (`entity` set) or a quotation."""

    paragraph: int
    start: int
    end: int
    entity: str | None = None  # entity id
    type: str | None = None  # entity type
    quote: bool = False


def segments(text: str, spans: Iterable[Span]) -> list[Json]:
    """`text` cut where marks begin and end: each piece with the entity it belongs to and whether it is
    quoted. Marks outside the text (a stale offset from another version) are ignored."""
    marks = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    cuts = sorted({0, len(text), *(s.start for s in marks), *(s.end for s in marks)})
    out: list[Json] = []
    for a, b in itertools.pairwise(cuts):
        entity = next((s for s in marks if s.entity and s.start <= a and b <= s.end), None)
        piece: Json = {"text": text[a:b]}
        if entity is not None:
            piece.update(entity_id=entity.entity, type=entity.type)
        if any(s.quote and s.start <= a and b <= s.end for s in marks):
            piece["quote"] = True
        if out and {k: v for k, v in out[-1].items() if k != "text"} == {
            k: v for k, v in piece.items() if k != "text"
        }:
            out[-1]["text"] += piece["text"]
        else:
            out.append(piece)
    return out


def marked_paragraphs(paragraphs: list[str], spans: Iterable[Span]) -> list[list[Json]]:
    by_paragraph: dict[int, list[Span]] = {}
    for span in spans:
        by_paragraph.setdefault(span.paragraph, []).append(span)
    return [segments(text, by_paragraph.get(n, [])) for n, text in enumerate(paragraphs)]
