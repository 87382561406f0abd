"""Extraction: one parse to its canonical entities, and the people remembered across a source's articles."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from streams.enrichment.entities.clusters import _cluster, _display, _Layout, _propagate, _salience
from streams.enrichment.entities.datelines import dateline_spans
from streams.enrichment.entities.evidence import REFUSED, weigh_evidence
from streams.enrichment.entities.labels import _fix_labels
from streams.enrichment.entities.mentions import _Mention, _mention, _person_roles
from streams.enrichment.entities.model import Entity, _surname, make_entity_id
from streams.enrichment.entities.rules import lower_words
from streams.enrichment.names import merge_people
from streams.enrichment.names import name_key as _key
from streams.enrichment.nlp import ParsedArticle


def extract_entities(
    parsed: ParsedArticle, *, known_people: Mapping[str, str] | None = None, max_entities: int = 500
) -> list[Entity]:
    """One parse to its canonical entities, most salient first.

    Mentions of one referent are merged under the fullest name (titles and possessives off,
    surnames joined to the full name, country aliases to pycountry's name); `known_people` maps a
    lower-case surname to a full name remembered from earlier articles of the same source.
    """
    doc = parsed.doc
    layout = _Layout.of(parsed)
    # doc.ents → trimmed names (no "the", honorific, job title or possessive; no dates or numbers)
    lowered = lower_words(doc)
    datelines = dateline_spans(doc)
    taken = {i for span in datelines for i in range(span.start, span.end)}
    ents = [e for e in doc.ents if taken.isdisjoint(range(e.start, e.end))]
    mentions = [m for ent in ents if (m := _mention(doc, layout.text, ent, lowered)) is not None]
    # → plus the dateline's place, whatever spaCy made of it ("BELGRADE 1996-08-30" ORG)
    for span in datelines:
        if (m := _mention(doc, layout.text, span, lowered)) is not None:
            m.dateline = True
            mentions.append(m)
    mentions.sort(key=lambda m: m.start)
    # → labels fixed where pycountry knows the place ("Crimea" ORG → GPE) or a job names a person
    _fix_labels(doc, mentions)
    # → what the name says: a given name makes a person; unknown places and product-like people refused
    weigh_evidence(doc, mentions, lowered)
    mentions = [m for m in mentions if m.label != REFUSED]
    # → one cluster per referent (surnames to full names, country aliases to one country, "EU" to "European Union")
    clusters, names = _cluster(mentions, known_people or {})
    # → plus the later occurrences spaCy missed of names it found once
    _propagate(doc, clusters)
    # → minus the byline's writer; one Entity per id with roles and salience, most salient first
    byline = {
        _key(b.name.removeprefix("By ").removeprefix("by ")) for b in parsed.article.byline or [] if b.name
    }
    # Two clusters can still land on one id ("Jean-Luc" and "Jean Luc"): one id, one entity.
    by_id: dict[str, tuple[str, str, list[_Mention]]] = {}
    for ck, ms in clusters.items():
        labels = Counter(m.label for m in ms if not m.propagated)
        label = "GPE" if any(m.place and m.label == "GPE" for m in ms) else labels.most_common(1)[0][0]
        name = names.get(ck) or _display(m.name for m in ms)
        if label == "PERSON" and (_key(name) in byline or any(_key(m.name) in byline for m in ms)):
            continue  # the byline names the writer, not someone in the story
        entity_id = make_entity_id(label, name)
        if entity_id in by_id:
            by_id[entity_id][2].extend(ms)
        else:
            by_id[entity_id] = (label, name, list(ms))
    most = max((len(ms) for _, _, ms in by_id.values()), default=1)
    entities: list[Entity] = []
    for entity_id, (label, name, ms) in by_id.items():
        ms.sort(key=lambda m: m.start)
        roles: list[str] = []
        if label == "PERSON":
            for m in ms:
                roles.extend(m.roles)
                roles.extend(_person_roles(doc, layout.text, m))
        written = tuple(layout.mention(m) for m in ms)
        entities.append(
            Entity(
                entity_id=entity_id,
                name=name,
                type=label,
                mentions=written,
                roles=tuple(dict.fromkeys(r for r in roles if r)),
                salience=_salience(written, len(layout.text), most),
            )
        )
    entities.sort(key=lambda e: (-e.salience, e.mentions[0].doc_start))
    return entities[:max_entities]


def remember_people(entities: Iterable[Entity], known: Mapping[str, str]) -> dict[str, str]:
    """`known` updated with the full-named people of one article: lower-case surname → full name.

    A surname two different people share maps to "" (ambiguous), and is never resolved again.
    """
    learned: dict[str, str] = {}
    for person in people_named(entities).values():
        learned = merge_people(learned, person)
    return merge_people(known, learned)


def people_named(entities: Iterable[Entity]) -> dict[str, dict[str, str]]:
    """The people one article names in full, each once: the name's matching key → {surname: full name}.

    Folded with `merge_people`, an article's entries are what `remember_people` learns from it; kept one
    per person, two people sharing a surname stay two entries (their merge makes the surname ambiguous).
    """
    named: dict[str, dict[str, str]] = {}
    for e in entities:
        # Only a name the article writes out: one it resolved from a bare surname through what earlier
        # articles taught teaches nothing (a kill of those articles must be able to take it back).
        given = e.name.split()[0].lower()
        said = any(given in m.text.lower().split() for m in e.mentions)
        if e.type == "PERSON" and len(e.name.split()) >= 2 and said:
            named.setdefault(_key(e.name), {_surname(e.name): e.name})
    return named
