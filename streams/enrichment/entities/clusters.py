"""Clusters: mentions grouped by referent, and later occurrences spaCy missed of a name it found."""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from spacy.attrs import ORTH, POS
from spacy.symbols import PROPN
from spacy.tokens import Doc

from streams.enrichment.entities.mentions import _is_honorific, _Mention
from streams.enrichment.entities.model import FAMILIES, HONORIFICS, EntityMention, _surname
from streams.enrichment.names import name_key as _key
from streams.enrichment.nlp import ParsedArticle, Segment, text_of


def _display(names: Iterable[str]) -> str:
    """The fullest written form; mixed case beats an all-capitals headline form."""
    return max(names, key=lambda n: (len(n.split()), not n.isupper(), len(n)))


def _person_keys(persons: list[_Mention], known: Mapping[str, str]) -> dict[int, tuple[str, str]]:
    """Map each person mention (by position) to (cluster key, canonical name)."""
    full: dict[str, list[str]] = defaultdict(list)
    for m in persons:
        if " " in m.name:
            full[_key(m.name)].append(m.name)
    words = {k: k.split() for k in full}
    # A full name whose words all appear in a longer one with the same surname is that person.
    parent: dict[str, str] = {}
    for k, ws in words.items():
        supers = [o for o, ows in words.items() if o != k and ows[-1] == ws[-1] and set(ws) < set(ows)]
        maximal = [o for o in supers if not any(set(words[o]) < set(words[p]) for p in supers)]
        parent[k] = maximal[0] if len(maximal) == 1 else k
    by_last: dict[str, set[str]] = defaultdict(set)
    by_first: dict[str, set[str]] = defaultdict(set)
    for k in set(parent.values()):
        by_last[words[k][-1]].add(k)
        by_first[words[k][0]].add(k)
    out: dict[int, tuple[str, str]] = {}
    for i, m in enumerate(persons):
        k = _key(m.name)
        if k in parent:
            root = parent[k]
            out[i] = (root, _display(full[root]))
            continue
        last = by_last.get(k, set())
        first = by_first.get(k, set())
        remembered = known.get(_surname(m.name), "")
        if len(last) == 1 or (not last and len(first) == 1):
            root = next(iter(last or first))
            out[i] = (root, _display(full[root]))
        elif not last and not first and remembered:
            # An earlier article of this source named this person in full.
            out[i] = (_key(remembered), remembered)
        else:
            out[i] = (k, m.name)
    return out


def _acronym(name: str) -> str:
    return "".join(
        w[0] for w in name.split() if w[0].isupper() and w.lower() not in ("of", "the", "and", "for")
    )


@dataclass(frozen=True)
class _Layout:
    """The parsed text and its segments, read once: Doc.text rebuilds the string on every access."""

    text: str
    segments: tuple[Segment, ...]
    starts: tuple[int, ...]

    @classmethod
    def of(cls, parsed: ParsedArticle) -> _Layout:
        return cls(text_of(parsed.doc), parsed.segments, tuple(s.start for s in parsed.segments))

    def locate(self, char: int) -> tuple[Segment, int]:
        seg = self.segments[max(0, bisect.bisect_right(self.starts, char) - 1)]
        return seg, char - seg.start

    def mention(self, m: _Mention) -> EntityMention:
        seg, offset = self.locate(m.start)
        return EntityMention(
            text=self.text[m.start : m.end],
            section=seg.section,
            paragraph=seg.index,
            start=offset,
            end=offset + (m.end - m.start),
            doc_start=m.start,
            doc_end=m.end,
            title=m.title,
        )


def _salience(mentions: tuple[EntityMention, ...], length: int, most: int) -> float:
    """Mentions (relative to the most-mentioned entity), how early, and headline/standfirst presence."""
    sections = {m.section for m in mentions}
    first = min(m.doc_start for m in mentions)
    score = (
        0.4 * math.log1p(len(mentions)) / math.log1p(most)
        + 0.2 * (1 - first / max(1, length))
        + 0.25 * ("headline" in sections)
        + 0.15 * ("standfirst" in sections)
    )
    return round(min(1.0, max(0.0, score)), 4)


# Legal forms a company's name may carry or drop: "Home Depot Inc." and "Home Depot" are one company.
_LEGAL_FORMS = frozenset(
    {"inc", "corp", "corporation", "co", "ltd", "llc", "plc", "ag", "sa", "nv", "companies"}
)


def _company_key(key: str) -> str:
    words = key.removeprefix("the ").split()
    while len(words) > 1 and words[-1].strip(",") in _LEGAL_FORMS:
        words.pop()
    return " ".join(words).rstrip(",")


Clusters = dict[tuple[str, str], list[_Mention]]


def _cluster(
    mentions: list[_Mention], known: Mapping[str, str]
) -> tuple[Clusters, dict[tuple[str, str], str]]:
    """Group mentions by referent; also return the canonical names already known (people, countries)."""
    persons = [m for m in mentions if m.label == "PERSON"]
    clusters: Clusters = defaultdict(list)
    names: dict[tuple[str, str], str] = {}
    for i, (k, name) in _person_keys(persons, known).items():
        clusters["person", k].append(persons[i])
        names["person", k] = name
    # Spans spaCy labelled otherwise but naming an article's person (in full, or by a surname only
    # one of them has) are that person: "Wang" after "Wang Junxia" is not an organisation.
    surnames: dict[str, set[str]] = defaultdict(set)
    for _, k in list(clusters):
        if " " in k:
            surnames[k.split()[-1]].add(k)
    for m in mentions:
        if m.label == "PERSON":
            continue
        key = _key(m.name)
        owners = {key} if " " in key else surnames.get(key, set())
        if m.place is None and len(owners) == 1 and ("person", next(iter(owners))) in clusters:
            m.label = "PERSON"
            clusters["person", next(iter(owners))].append(m)
            continue
        if m.label == "ORG":
            key = _company_key(key)
        k = m.place.code if m.place else f"{FAMILIES.get(m.label, m.label)}:{key}"
        clusters["other", k].append(m)
        if m.place:
            names["other", k] = m.place.name
        elif m.label == "ORG":
            # "Home Depot" in the text beats "THE HOME DEPOT INC." in a quote table.
            names["other", k] = max(
                (names.get(("other", k), m.name), m.name),
                key=lambda n: (not n.isupper(), len(n.split()), len(n)),
            )
    # "EU" after "European Union" is one organisation.
    full_forms: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for ck, ms in clusters.items():
        if ck[0] == "other" and len(ms[0].name.split()) > 1 and ms[0].label == "ORG":
            full_forms[_acronym(ms[0].name)].append(ck)
    for ck in list(clusters):
        name = clusters[ck][0].name
        targets = full_forms.get(name) if ck[0] == "other" and name.isupper() and name.isalpha() else None
        if targets and len(targets) == 1 and targets[0] != ck and len(name) > 1:
            clusters[targets[0]].extend(clusters.pop(ck))
    return clusters, names


def _propagate(doc: Doc, clusters: Clusters) -> None:
    """Occurrences spaCy missed of a name it found elsewhere in the article join that entity.

    Only exact, capitalised written forms that belong to one entity are matched, never inside
    another entity or a longer proper name, so "May" the month or "Johnson Matthey" stay apart.
    """
    covered = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    owners: dict[tuple[str, ...], set[tuple[str, str]]] = defaultdict(set)
    for ck, ms in clusters.items():
        for m in ms:
            form = tuple(t.text for t in doc[m.tokens[0] : m.tokens[1]])
            if form[0][:1].isupper() and form[-1][:1].isupper() and len(" ".join(form)) > 1:
                owners[form].add(ck)
            # A person named in full is named again by surname ("Lebed" after "Alexander Lebed").
            if ck[0] == "person" and len(form) > 1 and len(form[-1]) > 2 and form[-1][:1].isupper():
                owners[form[-1:]].add(ck)
    forms: dict[str, list[tuple[tuple[str, ...], tuple[str, str]]]] = defaultdict(list)
    for form, cks in owners.items():
        if len(cks) == 1:
            forms[form[0]].append((form, next(iter(cks))))
    for candidates in forms.values():
        candidates.sort(key=lambda c: -len(c[0]))
    # Read from the Doc's arrays: a Token object per word, twice per article, was a tenth of this stage.
    words = [doc.vocab.strings[orth] for orth in doc.to_array(ORTH).tolist()]
    proper = [
        pos == PROPN and word.lower().rstrip(".") not in HONORIFICS
        for pos, word in zip(doc.to_array(POS).tolist(), words, strict=True)
    ]
    i = 0
    while i < len(words):
        for form, ck in forms.get(words[i], []) if i not in covered else []:
            n = len(form)
            if tuple(words[i : i + n]) != form or covered.intersection(range(i, i + n)):
                continue
            # A name inside a longer proper name ("Johnson Matthey") is some other referent.
            if (n == 1 and doc[i].pos_ != "PROPN") or (i + n < len(words) and proper[i + n]):
                continue
            if i > 0 and proper[i - 1]:
                continue
            first = clusters[ck][0]
            honorific = i > 0 and _is_honorific(doc[i - 1])
            clusters[ck].append(
                _Mention(
                    start=doc[i - 1].idx if honorific else doc[i].idx,
                    end=doc[i + n - 1].idx + len(words[i + n - 1]),
                    name=" ".join(form),
                    label=first.label,
                    title=words[i - 1].rstrip(".") if honorific else "",
                    tokens=(i, i + n),
                    place=first.place,
                    propagated=True,
                )
            )
            covered.update(range(i, i + n))
            i += n - 1
            break
        i += 1
