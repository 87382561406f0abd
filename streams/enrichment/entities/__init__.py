"""Entities: spaCy mentions merged into one canonical, stable entity per referent in an article."""

from streams.enrichment.entities.clusters import _salience
from streams.enrichment.entities.extract import extract_entities, merge_people, people_named, remember_people
from streams.enrichment.entities.model import (
    HONORIFICS,
    ROLE_HEADS,
    Entity,
    EntityMention,
    make_entity_id,
    normalise_role,
    slugify,
)

__all__ = [
    "HONORIFICS",
    "ROLE_HEADS",
    "Entity",
    "EntityMention",
    "_salience",
    "extract_entities",
    "make_entity_id",
    "merge_people",
    "normalise_role",
    "people_named",
    "remember_people",
    "slugify",
]
