"""Entities: spaCy mentions merged into one canonical, stable entity per referent in an article."""

from __future__ import annotations

import bisect
import hashlib
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pycountry
from spacy.attrs import ORTH, POS
from spacy.symbols import PROPN
from spacy.tokens import Doc, Span, Token

from streams.enrichment.entity_rules import common_word, is_junk, lower_words, plural_is_group, span_bounds
from streams.enrichment.nlp import ParsedArticle, Segment, text_of


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
_DOTS = re.compile("[.'\u2019]")


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


def _key(text: str) -> str:
    """Matching key of a name: case, accents, dots and apostrophes ignored ("U.S." → "us")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii") or text
    return " ".join(_DOTS.sub("", folded).casefold().split())


def _surname(name: str) -> str:
    words = name.split()
    while len(words) > 1 and words[-1].lower().rstrip(".") in ("jr", "sr", "ii", "iii", "iv"):
        words.pop()
    return words[-1].lower() if words else ""


# --- places -----------------------------------------------------------------------------------------

# pycountry's short names are formal for a few countries; newsrooms use these common names.
_COUNTRY_NAMES = {
    "RU": "Russia",
    "CD": "Democratic Republic of the Congo",
    "PS": "Palestine",
    "FM": "Micronesia",
    "VA": "Vatican City",
    "BN": "Brunei",
}
# Everyday names pycountry has under no name, official name or common name. Its fuzzy search is no
# substitute: it answers "Africa" with South Africa, "West" with Cameroon and "London" with the UK. Nor
# are ISO codes in general: in news "CA" and "LA" are California and Los Angeles, not Canada and Laos.
_COUNTRY_ALIASES = {
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "us": "US",
    "usa": "US",
    "america": "US",
    "uae": "AE",
    "turkey": "TR",
}
# English exonyms of subdivisions pycountry names only in the local language ("Avtonomna Respublika Krym").
_SUBDIVISION_EXONYMS = {"crimea": "UA-43", "chechnya": "RU-CE", "bavaria": "DE-BY", "catalonia": "ES-CT"}


@dataclass(frozen=True)
class _Place:
    name: str  # canonical
    code: str  # ISO 3166-1 alpha-2 for a country, ISO 3166-2 for a subdivision


def _country_name(country: Any) -> str:
    code: str = country.alpha_2
    return str(_COUNTRY_NAMES.get(code) or getattr(country, "common_name", None) or country.name)


@lru_cache(maxsize=1)
def _country_index() -> dict[str, _Place]:
    """Every name, official name and common name of every country, by matching key."""
    index: dict[str, _Place] = {}
    for c in pycountry.countries:
        place = _Place(_country_name(c), c.alpha_2)
        for attr in ("name", "official_name", "common_name"):
            if value := getattr(c, attr, None):
                index.setdefault(_key(value), place)
        index.setdefault(_key(place.name), place)
    for alias, code in _COUNTRY_ALIASES.items():
        index[alias] = _Place(_country_name(pycountry.countries.get(alpha_2=code)), code)
    return index


@lru_cache(maxsize=8192)
def _resolve_place(name: str, loose: bool) -> _Place | None:
    """The country or subdivision `name` names, if pycountry knows it.

    `loose` (spaCy already labelled the span a place) also accepts subdivision names ("England" stays
    England, not the UK); other labels resolve only on a country name, alias or exonym, so a county
    cricket club labelled ORG ("Kent") is left alone.
    """
    query = _key(name)
    if query.startswith("the "):
        query = query[4:]
    if not query:
        return None
    if place := _country_index().get(query):
        return place
    sub_code = _SUBDIVISION_EXONYMS.get(query)
    if sub_code and pycountry.subdivisions.get(code=sub_code) is not None:
        return _Place(" ".join(w.capitalize() for w in query.split()), sub_code)
    if not loose:
        return None
    # A name several subdivisions share names no one place.
    subs = _subdivision_index().get(query, ())
    return subs[0] if len(subs) == 1 else None


@lru_cache(maxsize=1)
def _subdivision_index() -> dict[str, tuple[_Place, ...]]:
    """Every subdivision by matching key of its name and of its code, built once: pycountry's own
    lookup scans all ~5,000 of them on every call."""
    index: dict[str, list[_Place]] = {}
    for sub in pycountry.subdivisions:
        place = _Place(sub.name, sub.code)
        for key in {_key(sub.name), sub.code.lower()}:
            if place not in index.setdefault(key, []):
                index[key].append(place)
    return {key: tuple(places) for key, places in index.items()}


# --- mentions -----------------------------------------------------------------------------------------


@dataclass
class _Mention:
    """One usable doc.ents span while an article's entities are being built."""

    start: int  # parsed-text offsets, honorific included
    end: int
    name: str  # without honorific, role prefix, leading "the" or possessive
    label: str
    title: str
    tokens: tuple[int, int]  # token range of the name
    roles: list[str] = field(default_factory=list)
    place: _Place | None = None
    propagated: bool = False  # found by matching a name spaCy gave elsewhere, not by spaCy here


def _is_honorific(token: Token) -> bool:
    return token.lower_.rstrip(".") in HONORIFICS


def _mention(doc: Doc, text: str, ent: Span, lowered: frozenset[str] = frozenset()) -> _Mention | None:
    """Trim one spaCy entity to its name: possessive, leading article, honorific and job title off;
    None for a span that names nothing (a unit, a URL, a common noun the article also writes in lower case)."""
    if ent.label_ in DROPPED_LABELS:
        return None
    lo, hi = ent.start, ent.end
    # An entity never runs across paragraphs: keep its first piece.
    hi = next((i for i in range(lo + 1, hi) if doc[i].is_space and "\n" in doc[i].text), hi)
    lo, hi = span_bounds(doc, lo, hi, ent.label_)
    while hi > lo and (doc[hi - 1].tag_ == "POS" or doc[hi - 1].is_punct or doc[hi - 1].is_space):
        hi -= 1
    while lo < hi and (
        (doc[lo].lower_ == "the" and ent.label_ != "WORK_OF_ART") or doc[lo].is_punct or doc[lo].is_space
    ):
        lo += 1
    honorific = -1
    roles: list[str] = []
    label = plural_is_group(doc, lo, hi, ent.label_) if lo < hi else ent.label_
    while lo < hi - 1 and _is_honorific(doc[lo]):
        honorific, lo = lo, lo + 1
    if label == "PERSON":
        # "Prime Minister Theresa May": the name starts after the last role word.
        cut = max((i for i in range(lo, hi - 1) if doc[i].lower_ in ROLE_HEADS), default=-1)
        if cut >= 0:
            roles.append(_role_words(doc[lo : cut + 1]) or doc[cut].lower_)
            lo = cut + 1
            while lo < hi - 1 and _is_honorific(doc[lo]):
                honorific, lo = lo, lo + 1
    if lo >= hi:
        return None
    if honorific != lo - 1 and lo > 0 and _is_honorific(doc[lo - 1]):
        honorific = lo - 1
    elif honorific != lo - 1:
        honorific = -1
    name_start = doc[lo].idx
    end = doc[hi - 1].idx + len(doc[hi - 1].text)
    name = " ".join(text[name_start:end].split())
    if not any(ch.isalpha() for ch in name) or is_junk(doc, lo, hi, name):
        return None
    if label not in ("GPE", "LOC") and common_word(doc, lo, hi, lowered):
        return None
    title = ""
    start = name_start
    if honorific >= 0:
        # The honorific belongs to the mention as written, and says the referent is a person.
        title, start, label = doc[honorific].text.rstrip("."), doc[honorific].idx, "PERSON"
    return _Mention(start, end, name, label, title, (lo, hi), roles)


def _role_words(tokens: Iterable[Token]) -> str:
    words: list[str] = []
    glue = False
    for t in tokens:
        if t.text == "-" and words and not t.whitespace_:
            glue = True  # "front-runner" and "co-founder" stay one word
            continue
        if (
            t.is_alpha
            and not t.ent_type_
            and t.lower_ not in ROLE_STOP
            and t.pos_ in ("NOUN", "PROPN", "ADJ")
        ):
            if glue:
                words[-1] += "-" + t.lower_
            else:
                words.append(t.lower_)
        glue = False
    return " ".join(words)


def _role_phrase(noun: Token) -> str:
    """A role noun with the modifiers that name it: "foreign secretary", "secretary of state"."""
    left = [c.i for c in noun.lefts if c.dep_ in ("compound", "amod")]
    phrase = _role_words(noun.doc[min(left, default=noun.i) : noun.i + 1])
    for prep in noun.rights if noun.lower_ in ROLE_HEADS else ():
        if prep.dep_ == "prep" and prep.lower_ == "of":
            objs = [c for c in prep.children if c.dep_ == "pobj" and c.pos_ == "NOUN" and not c.ent_type_]
            if objs:
                phrase += " of " + _role_words([*(c for c in objs[0].lefts if c.dep_ == "compound"), objs[0]])
    return phrase if _is_role_head(noun) else ""


def _is_role_head(token: Token) -> bool:
    """A common noun ("secretary", "actor") or a capitalised title word; never a name ("Sergei")."""
    if token.ent_type_ or token.tag_ in ("NNS", "NNPS"):
        return False  # one person holds a role: "supporters" describes a group
    return token.pos_ == "NOUN" or (token.pos_ == "PROPN" and token.lower_ in ROLE_HEADS)


def _person_roles(doc: Doc, text: str, m: _Mention) -> list[str]:
    """Roles the article gives this person: a title before the name, or an apposition after it."""
    lo, hi = m.tokens
    found: list[str] = []
    # "Russian Foreign Minister Sergei Lavrov": modifiers left of the name that attach into it.
    first = lo - 1
    while first >= 0 and _is_honorific(doc[first]):
        first -= 1
    j = first
    while j >= 0 and not doc[j].is_space:
        if doc[j].text == "-" and j > 0 and not doc[j].whitespace_ and not doc[j - 1].whitespace_:
            j -= 1
            continue
        if not (j < doc[j].head.i < hi) or doc[j].dep_ not in ("compound", "amod", "nmod", "det", "poss"):
            break
        j -= 1
    prefix = doc[j + 1 : first + 1]
    if len(prefix) and _is_role_head(prefix[-1]):
        found.append(_role_words(prefix))
    # "Mr Johnson, the first UK foreign secretary", "the foreign minister, Sergei Lavrov,".
    root = doc[lo:hi].root
    nouns = [c for c in root.children if c.dep_ == "appos"]
    if root.dep_ == "appos":
        nouns.append(root.head)
    for noun in nouns:
        # The parser can run a headline into the first paragraph; a role never crosses one.
        between = text[min(noun.idx, m.start) : max(noun.idx, m.end)]
        if not (lo <= noun.i < hi) and "\n" not in between:
            found.append(_role_phrase(noun))
    found.append(_dash_role(doc, hi))
    return found


def _dash_role(doc: Doc, hi: int) -> str:
    """The plain pattern where the parse finds no apposition: "X – the first UK foreign secretary to"."""
    if (
        hi + 2 >= len(doc)
        or doc[hi].text not in (",", "–", "—", "-", "(")
        or doc[hi + 1].lower_ not in ("the", "a")
    ):
        return ""
    j = hi + 2
    while j < len(doc) and doc[j].pos_ in ("ADJ", "NOUN", "PROPN", "NUM") and not doc[j].is_space:
        j += 1
    if j < len(doc) and doc[j].tag_ == "POS":
        return ""  # "X, the company's chairman": the role is of someone else
    run = list(doc[hi + 2 : j])
    while run and not _is_role_head(run[-1]):
        run.pop()
    return _role_words(run) if run else ""


# --- grouping -----------------------------------------------------------------------------------------


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
        m.place = _resolve_place(m.name, m.label in ("GPE", "LOC"))
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
        k = m.place.code if m.place else f"{FAMILIES.get(m.label, m.label)}:{key}"
        clusters["other", k].append(m)
        if m.place:
            names["other", k] = m.place.name
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
    mentions = [m for ent in doc.ents if (m := _mention(doc, layout.text, ent, lowered)) is not None]
    # → labels fixed where pycountry knows the place ("Crimea" ORG → GPE) or a job names a person
    _fix_labels(doc, mentions)
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
    for e in entities:
        if e.type == "PERSON" and len(e.name.split()) >= 2:
            learned = merge_people(learned, {_surname(e.name): e.name})
    return merge_people(known, learned)


def merge_people(known: Mapping[str, str], learned: Mapping[str, str]) -> dict[str, str]:
    """Two surname → full name maps as one; a surname they give two different people becomes "".

    Commutative, associative and idempotent: workers that fold the same updates in any order, some of
    them twice, know the same people.
    """
    merged = dict(known)
    for surname, name in learned.items():
        seen = merged.get(surname)
        if seen is None:
            merged[surname] = name
        elif seen and (not name or _key(seen) != _key(name)):
            merged[surname] = ""
    return merged
