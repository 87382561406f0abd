"""Persons: what the sentence around a "person" says it is instead (a team, a firm, a work, a part of a name).

The small model calls almost any capitalised word a person when nothing in the name says otherwise; the
words around it often do: "the Browns", "Kosmos, a group co-founded by", "Wichita North's Miguel Bernal",
"Parabolic Lightcloud by amigo & amigo", "the Hazel Hen supercomputer", "Audi's Singleframe grille".
Each rule reads one such construction; one name, one referent, so one mention's evidence types them all.
"""

from __future__ import annotations

from collections import defaultdict

from spacy.tokens import Doc, Token

from streams.enrichment.entities.mentions import _Mention
from streams.enrichment.entities.model import ROLE_HEADS
from streams.enrichment.names import name_key as _key

REFUSED = ""
_CREDIT_WORDS = 5  # the most words a maker's name takes after "by" in a caption
# Nouns that describe a body of people, never one person: "Kosmos, a group co-founded by …".
_BODY_NOUNS = frozenset(
    ("company", "group", "firm", "band", "team", "club", "brand", "startup", "start-up", "maker", "retailer",
     "chain", "manufacturer", "label", "party", "agency", "organisation", "organization", "charity", "venture",
     "business", "conglomerate", "subsidiary", "airline", "carrier", "bank", "insurer", "publisher", "studio",
     "school", "university", "college", "network", "association", "federation", "union", "government")
)  # fmt: skip


def _group_after_the(doc: Doc, m: _Mention) -> bool:
    """A one-word plural written after "the" ("facing the Browns", "the Steelers"): one person is never
    "the Xs", a team, a band or a family is."""
    lo, hi = m.tokens
    word = m.name
    return (
        hi - lo == 1
        and " " not in word
        and lo > 0
        and doc[lo - 1].lower_ == "the"
        and word.endswith("s")
        and not word.endswith(("ss", "us", "is"))
    )


def _described_as_body(doc: Doc, m: _Mention) -> bool:
    """A name followed by ", a/an/the" and a noun phrase whose head is a body ("Kosmos, a group co-founded
    by …", "Tony Moly, the cosmetics brand"): the parser often hangs such an apposition elsewhere."""
    hi = m.tokens[1]
    if hi + 2 >= len(doc) or doc[hi].text != "," or doc[hi + 1].lower_ not in ("a", "an", "the"):
        return False
    j = hi + 2
    last: Token | None = None
    while j < len(doc) and doc[j].pos_ in ("ADJ", "NOUN", "PROPN") and not doc[j].is_space:
        last = doc[j] if doc[j].pos_ == "NOUN" else last
        j += 1
    return last is not None and last.lemma_.lower() in _BODY_NOUNS


def _owns_a_person(doc: Doc, m: _Mention) -> bool:
    """A name whose possessive a person's full name follows ("Wichita North's Miguel Bernal",
    "Athletic Bilbao's Kepa Arrizabalaga"): a school, a team or a firm owning its member, not a person."""
    hi = m.tokens[1]
    if hi + 2 >= len(doc) or doc[hi].tag_ != "POS":
        return False
    nxt = doc[hi + 1]
    return nxt.ent_type_ == "PERSON" and nxt.ent_iob_ == "B" and doc[hi + 2].ent_iob_ == "I"


def _credited_work(doc: Doc, m: _Mention) -> bool:
    """A caption line naming a work and its maker ("Parabolic Lightcloud by amigo & amigo", "Portam
    Civitatis by Peter Snijder"): the line opens with the name, "by" follows it, and the line ends a few
    words later. The parser runs such lines together, so their shape is read, not their parse."""
    lo, hi = m.tokens
    if hi >= len(doc) or doc[hi].lower_ != "by" or not (lo == 0 or "\n" in doc[lo - 1].text):
        return False
    end = next((i for i in range(hi + 1, len(doc)) if "\n" in doc[i].text), len(doc))
    return 1 < end - hi <= _CREDIT_WORDS + 1


def _company_possessive(doc: Doc, m: _Mention) -> bool:
    """A name whose "'s" a verb follows ("Rival Lowe's was also lower"): nothing is owned, so the "'s" is
    part of a firm's name ("Lowe's", "McDonald's"), and a firm is no person."""
    hi = m.tokens[1]
    return hi + 1 < len(doc) and doc[hi].tag_ == "POS" and doc[hi + 1].pos_ in ("AUX", "VERB")


def _part_of_longer_name(doc: Doc, m: _Mention) -> bool:
    """A one-word "person" right before another proper noun no entity covers ("the Hazel Hen
    supercomputer"): the first word of a longer name, not a person. Not in capitals (a headline), not
    before a job title or at a sentence start."""
    lo, hi = m.tokens
    if hi - lo != 1 or hi >= len(doc) or doc[lo].whitespace_ != " " or m.name.isupper():
        return False
    nxt = doc[hi]
    return (
        nxt.pos_ == "PROPN"
        and nxt.text[:1].isupper()
        and nxt.text.isalpha()
        and not nxt.text.isupper()
        and not nxt.ent_type_
        and not nxt.is_sent_start
        and nxt.lower_ not in ROLE_HEADS
    )


def _before_a_model(doc: Doc, m: _Mention) -> bool:
    """A "person" right before a model number or a lone capital ("the Alienware AW3418DW", "The Mach E",
    "Dell G3"): a brand or a product line, since no one's name is followed by a model. An initial has its
    stop ("John F. Kennedy")."""
    hi = m.tokens[1]
    if hi >= len(doc) or not doc[hi - 1].whitespace_:
        return False
    nxt = doc[hi]
    if any(c.isdigit() for c in nxt.text) and any(c.isalpha() for c in nxt.text):
        return True
    initial = hi + 1 < len(doc) and doc[hi + 1].text == "."
    return len(nxt.text) == 1 and nxt.text.isupper() and not initial


def _modifies_a_thing(doc: Doc, m: _Mention) -> bool:
    """A name owned by an organisation and modifying a common noun ("Audi's Singleframe grille"): a thing
    the firm makes, a design or a line. Without the owner it is too often a person's ("the Obama
    administration")."""
    head = doc[m.tokens[1] - 1]
    if head.dep_ != "compound" or head.head.i != m.tokens[1] or head.head.pos_ != "NOUN":
        return False
    noun = head.head
    return noun.lower_ not in ROLE_HEADS and any(
        c.dep_ == "poss" and c.ent_type_ in ("ORG", "PRODUCT") for c in noun.children
    )


def _after_a_firm(doc: Doc, m: _Mention) -> bool:
    """A "person" written right after an organisation's name with no stop between ("FORD MUSTANG MACH E"):
    a firm's name before a name in one noun phrase makes it a model of that firm's."""
    lo = m.tokens[0]
    return (
        lo > 0 and doc[lo - 1].ent_type_ == "ORG" and doc[lo - 1].whitespace_ != "" and doc[lo - 1].is_alpha
    )


def _listed_with_words(doc: Doc, m: _Mention) -> bool:
    """A one-word "person" coordinated with capitalised words no entity covers ("Turquoise, Yellow, or
    Gray"): a list of options or colours, since a list of people names each of them as a person."""
    lo, hi = m.tokens
    if hi - lo != 1:
        return False
    token = doc[lo]
    others = [c for c in token.children if c.dep_ == "conj"]
    if token.dep_ == "conj":
        others.append(token.head)
    return bool(others) and all(o.text[:1].isupper() and o.is_alpha and not o.ent_type_ for o in others)


def person_type(doc: Doc, m: _Mention) -> str | None:
    """The type one mention's sentence gives a "person" instead, or None when it says nothing."""
    if _group_after_the(doc, m) or _described_as_body(doc, m) or _owns_a_person(doc, m):
        return "ORG"
    if _company_possessive(doc, m):
        return "ORG"
    if (
        _part_of_longer_name(doc, m)
        or _after_a_firm(doc, m)
        or _listed_with_words(doc, m)
        or _before_a_model(doc, m)
    ):
        return REFUSED
    return None


def retype_people(doc: Doc, mentions: list[_Mention]) -> None:
    """Retype every mention of a "person" name that one mention's sentence shows to be something else;
    a name only ever used as the modifier of a common noun is refused. Names given an honorific or a
    role, and words of a person the article names in full, stay people."""
    by_name: dict[str, list[_Mention]] = defaultdict(list)
    for m in mentions:
        if m.label in ("PERSON", "ORG"):
            by_name[_key(m.name)].append(m)
    works = {k for k, ms in by_name.items() if any(_credited_work(doc, m) for m in ms)}
    named: set[str] = set()
    # Full names first: the words of those that stay people are then not retyped alone.
    for k, ms in sorted(by_name.items(), key=lambda item: -len(item[0].split())):
        if " " not in k and not named:
            named = {w for m in mentions if m.label == "PERSON" and " " in m.name for w in m.name.split()}
        people = [m for m in ms if m.label == "PERSON"]
        if k in works:
            for m in ms:
                m.label = "WORK_OF_ART"
        if not people or any(m.name in named or m.title or m.roles for m in people):
            continue
        ms = people
        votes = [t for m in ms if (t := person_type(doc, m)) is not None]
        if not votes and all(_modifies_a_thing(doc, m) for m in ms):
            votes = [REFUSED]
        if not votes:
            continue
        label = votes[0]
        owned = label == "ORG" and any(_company_possessive(doc, m) for m in ms)
        for m in ms:
            if owned and _company_possessive(doc, m):
                _extend_possessive(doc, m)
            elif owned:
                m.name += "'s"
            m.label = label


def _extend_possessive(doc: Doc, m: _Mention) -> None:
    """The firm's name with its "'s": "Lowe's"."""
    hi = m.tokens[1]
    m.name += doc[hi].text.replace("\u2019", "'")
    m.end = doc[hi].idx + len(doc[hi].text)
    m.tokens = (m.tokens[0], hi + 1)
