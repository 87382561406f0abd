"""Datelines: the place a wire story is filed from, written in capitals before its date or credit.

"BELGRADE 1996-08-30 …", "KHASAVYURT, Russia 1996-08-31 …", "WASHINGTON (Reuters) - …", "LAGOS — …",
"BAAR, SWITZERLAND …": the
small model reads a capitalised city there as an organisation or a person, or misses it, since nothing
around it says place. The shape of the dateline does, when a gazetteer knows the name.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span

from streams.enrichment.entities.lexicon import is_place
from streams.enrichment.entities.places import _resolve_place

# What follows the place in a dateline: a date ("1996-08-30", "Oct", "October 9"), a credit in brackets,
# or a dash before the story.
_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}|(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t|tember)?"
    r"|oct(ober)?|nov(ember)?|dec(ember)?)\.?$",
    re.I,
)
_AFTER = frozenset({"(", "-", "–", "—"})
# A dateline starts a paragraph, or follows the headline's last word or stop.
_BEFORE = frozenset({".", "!", "?", ":"})
_MAX_WORDS = 3


def dateline_spans(doc: Doc) -> list[Span]:
    """GPE spans of the capitalised places that open a dateline."""
    found: list[Span] = []
    for i, token in enumerate(doc):
        if not _starts_block(doc, i) or not _upper_word(token.text):
            continue
        hi = i + 1
        while hi < len(doc) and hi - i < _MAX_WORDS and _upper_word(doc[hi].text):
            hi += 1
        # The longest run of capitals that a gazetteer knows and a dateline's end follows.
        for end in range(hi, i, -1):
            name = doc[i:end].text
            if _known(name) and _dateline_end(doc, end):
                found.append(Span(doc, i, end, label="GPE"))
                break
    return found


def _upper_word(text: str) -> bool:
    return len(text) > 1 and text.isalpha() and text.isupper()


def _starts_block(doc: Doc, i: int) -> bool:
    if i == 0:
        return True
    before = doc[i - 1]
    return "\n" in before.text or before.text in _BEFORE


def _known(name: str) -> bool:
    return is_place(name) or _resolve_place(name, True) is not None


def _dateline_end(doc: Doc, i: int) -> bool:
    """A date, a bracketed credit or a dash at i, or after a comma and a region ("IRVINE, Calif 1996-…")."""
    if i >= len(doc):
        return False
    if _date_at(doc, i) or doc[i].text in _AFTER:
        return True
    if doc[i].text != ",":
        return False
    if i + 1 < len(doc) and _upper_word(doc[i + 1].text) and _country(doc[i + 1].text):
        return True  # "BAAR, SWITZERLAND Based on …": a press release's place and country in capitals
    for j in range(i + 1, min(i + 5, len(doc))):
        if j > i + 1 and (_date_at(doc, j) or doc[j].text in _AFTER):
            return True
        if not (doc[j].text[:1].isupper() and doc[j].text.rstrip(".").isalpha()):
            return False
    return False


def _country(name: str) -> bool:
    place = _resolve_place(name, True)
    return place is not None and len(place.code) == 2


def _date_at(doc: Doc, i: int) -> bool:
    """A month ("Oct", "October") or an ISO date, which the tokenizer splits at its hyphens."""
    return (
        _DATE.match("".join(t.text for t in doc[i : i + 5]) if doc[i].is_digit else doc[i].text) is not None
    )
