"""Entities' data: mentions and entities as published, their ids, types and matching keys."""

from __future__ import annotations

import hashlib
import re
import unicodedata
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
    # Honorific written before the name and included in the span ("Mr" of "Mr Lavrov"), else "".
    title: str = ""

    def name_span(self) -> tuple[int, int]:
        """The span of the name itself in the parsed text, without the honorific."""
        if not self.title:
            return self.doc_start, self.doc_end
        rest = self.text[len(self.title) :]
        skip = len(self.text) - len(rest.lstrip(" .\u00a0"))
        return self.doc_start + skip, self.doc_end


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

    def has_role(self, role: str) -> bool:
        """True if the article links `role` ("the Foreign Secretary", "foreign secretary") to this entity."""
        return normalise_role(role) in self.roles


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Labels that name amounts and times, not referents: never entities.
DROPPED_LABELS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"})
FAMILIES = {
    "PERSON": "person",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "ORG": "org",
    "NORP": "norp",
    "EVENT": "event",
    "PRODUCT": "product",
    "WORK_OF_ART": "work",
    "LAW": "law",
    "LANGUAGE": "language",
}
# Honorifics are part of how a person is named ("Mr Lavrov") but not of the canonical name.
HONORIFICS = _words(
    "mr mrs ms miss mx dr sir dame lord lady prof professor rev reverend mister madam monsieur"
)
# Job titles written inside a PERSON span ("President Putin"): they become roles, not name.
ROLE_HEADS = _words(
    """president minister secretary chancellor senator sen governor gov mayor premier leader chairman
    chairwoman chair spokesman spokeswoman spokesperson ambassador envoy commissioner general gen
    colonel col captain capt commander judge justice prosecutor inspector sergeant sgt officer chief
    executive ceo director manager coach editor mp mep congressman congresswoman representative rep"""
)
# Adjectives that date or rank a role rather than name it ("the first UK foreign secretary").
ROLE_STOP = _words("first second third last former new current then late outgoing incoming acting ex")
_SLUG = re.compile(r"[^a-z0-9]+")
# Latin letters NFKD does not decompose into ASCII; apostrophes join ("O'Neill" and "O’Neill" alike).
_ASCII = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe"}
    | {"Œ": "OE", "þ": "th", "Þ": "Th", "ı": "i", "'": "", "\u2019": ""}
)


def slugify(text: str) -> str:
    """Lower-case ASCII slug: accents folded ("Zelenskyy", "Müller" → "muller"), runs of others → "-"."""
    folded = unicodedata.normalize("NFKD", text.translate(_ASCII)).encode("ascii", "ignore").decode("ascii")
    return _SLUG.sub("-", folded.lower()).strip("-")


def make_entity_id(label: str, name: str) -> str:
    """Stable id from the type family and canonical name: "person:sergei-lavrov", "place:united-kingdom"."""
    family = FAMILIES.get(label, label.lower())
    slug = slugify(name)
    if not slug:
        # Names with no Latin letters still need a stable id.
        slug = hashlib.sha1(name.casefold().encode("utf-8")).hexdigest()[:12]
    return f"{family}:{slug}"


def normalise_role(role: str) -> str:
    """A role as entities store it: lower-case words without an article ("the Foreign Secretary")."""
    words = role.lower().split()
    while words and words[0] in ("the", "a", "an"):
        words.pop(0)
    return " ".join(words)


def _surname(name: str) -> str:
    words = name.split()
    while len(words) > 1 and words[-1].lower().rstrip(".") in ("jr", "sr", "ii", "iii", "iv"):
        words.pop()
    return words[-1].lower() if words else ""
