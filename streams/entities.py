"""Entities: spaCy mentions merged into one canonical, stable entity per referent in an article."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EntityMention:
    """Where an entity is named: offsets within its segment, and within the parsed text."""

    text: str
    section: str
    paragraph: int
    start: int
    end: int
    doc_start: int
    doc_end: int


@dataclass(frozen=True)
class Entity:
    """One real-world referent of one article, under its canonical name and stable id."""

    entity_id: str  # e.g. "person:sergei-lavrov"
    name: str  # canonical (fullest) name
    type: str  # spaCy label: PERSON, ORG, GPE, LOC, NORP, ...
    mentions: tuple[EntityMention, ...]
    # Roles the article links to this entity, normalised lower-case ("foreign secretary").
    roles: tuple[str, ...] = ()
    salience: float = 0.0

    def covers(self, doc_start: int, doc_end: int) -> bool:
        """True if one of this entity's mentions overlaps the text span [doc_start, doc_end)."""
        return any(m.doc_start < doc_end and doc_start < m.doc_end for m in self.mentions)
