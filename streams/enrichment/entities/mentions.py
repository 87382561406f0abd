"""Mentions: spaCy entity spans trimmed to the name, with the roles the article gives a person."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from streams.enrichment.entities.model import DROPPED_LABELS, HONORIFICS, ROLE_HEADS, ROLE_STOP
from streams.enrichment.entities.places import _Place
from streams.enrichment.entities.rules import (
    after_position,
    common_word,
    is_junk,
    label_glued,
    plural_is_group,
    span_bounds,
)


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
    dateline: bool = False  # the place a wire story is filed from: its type is settled


# Jobs someone holds "of" a firm: a span starting "Founder of" is a job run into the firm's name.
_JOBS = ROLE_HEADS | {"founder", "co-founder", "cofounder", "owner"}


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
        lo = after_position(doc, lo, hi)
    if label == "ORG" and hi - lo > 2 and doc[lo].lower_ in _JOBS and doc[lo + 1].lower_ == "of":
        lo += 2  # "Founder of Ceres Robotics Inc.": a job title run into the firm's name is not part of it
    if lo >= hi:
        return None
    if honorific != lo - 1 and lo > 0 and _is_honorific(doc[lo - 1]):
        honorific = lo - 1
    elif honorific != lo - 1:
        honorific = -1
    name_start = doc[lo].idx
    glued = label_glued(doc, lo) if honorific < 0 and not roles else -1
    if glued >= 0:
        name_start = glued  # "Director_Oh Kyeong Taek": the name is "Oh Kyeong Taek"
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
