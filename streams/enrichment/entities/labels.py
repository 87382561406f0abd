"""Labels: one type per name in an article, places pycountry knows, organisations given a person's job."""

from __future__ import annotations

from collections import Counter, defaultdict

from spacy.tokens import Doc

from streams.enrichment.entities.lexicon import is_place
from streams.enrichment.entities.mentions import _Mention
from streams.enrichment.entities.model import ROLE_HEADS
from streams.enrichment.entities.places import _Place, _resolve_place, us_state
from streams.enrichment.names import name_key as _key


def _titled_person(doc: Doc, m: _Mention) -> bool:
    """A full name spaCy called an organisation that the article gives a person's job: "The Rovers
    manager, Sofia Almeida", "coach Sofia Almeida"."""
    lo, hi = m.tokens
    words = doc[lo:hi]
    if len(words) < 2 or not all(t.text[:1].isupper() and t.is_alpha for t in words):
        return False
    root = words.root
    nouns = [c for c in root.children if c.dep_ == "appos" and not lo <= c.i < hi]
    if root.dep_ == "appos":
        nouns.append(root.head)
    if lo > 0:
        nouns.append(doc[lo - 1])
    return any(n.lower_ in ROLE_HEADS and n.tag_ in ("NN", "NNP") and not n.ent_type_ for n in nouns)


def _fix_labels(doc: Doc, mentions: list[_Mention]) -> None:
    """Correct labels where pycountry knows the place (a country is a GPE whatever spaCy said), and where
    the article gives an "organisation" a person's job; its surname alone is then that person too."""
    _one_type_per_name(mentions)
    people = {_key(m.name).split()[-1] for m in mentions if m.label == "ORG" and _titled_person(doc, m)}
    for m in mentions:
        if m.label == "ORG" and (_titled_person(doc, m) or _key(m.name) in people):
            m.label = "PERSON"
    person_words = {
        w for m in mentions if m.label == "PERSON" and " " in m.name for w in _key(m.name).split()
    }
    for m in mentions:
        if m.title or m.label in ("NORP", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE"):
            continue
        if m.label == "PERSON" and _key(m.name) in person_words:
            continue  # "Jordan" of "Michael Jordan" is not the country
        m.place = _resolve_place(m.name, m.label in ("GPE", "LOC")) or _state_code(doc, m)
        if m.place is not None and (m.label in ("ORG", "PERSON") or len(m.place.code) == 2):
            m.label = "GPE"


def _one_type_per_name(mentions: list[_Mention]) -> None:
    """One referent, one type: a one-word name spaCy calls a person at least as often as an organisation
    is a person throughout ("Trump" PERSON and "Trump" ORG), and a two- or three-word "organisation"
    ending in such a person's name is that person in full ("Mason Rudolph" ORG beside "Rudolph")."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for m in mentions:
        if " " not in m.name and m.label in ("PERSON", "ORG"):
            votes[_key(m.name)][m.label] += 1
    people = {k for k, c in votes.items() if c["PERSON"] and c["PERSON"] >= c["ORG"]}
    for m in mentions:
        words = m.name.split()
        if m.label != "ORG" or m.title:
            continue
        alone = len(words) == 1 and _key(m.name) in people
        in_full = (
            2 <= len(words) <= 3
            and all(w[:1].isupper() and w.isalpha() for w in words)
            and _key(words[-1]) in people
            and votes[_key(words[-1])]["ORG"] == 0
        )
        if alone or in_full:
            m.label = "PERSON"


def _state_code(doc: Doc, m: _Mention) -> _Place | None:
    """A US state's postal code where it is a place: "SD" spaCy calls a place, or "NY" after "New York,"
    (a city, a comma, its state). Elsewhere two capitals are too often something else ("IN", "OR", "CO"),
    and a code that is also a place's everyday short name stays that place ("LA" is Los Angeles)."""
    state = None if is_place(m.name) else us_state(m.name)
    lo = m.tokens[0]
    after_city = lo >= 2 and doc[lo - 1].text == "," and doc[lo - 2].pos_ == "PROPN"
    return state if state is not None and (m.label in ("GPE", "LOC") or after_city) else None
