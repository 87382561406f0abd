"""Organisations: what the sentence around an "organisation" says it is instead.

The small model calls most capitalised phrases of product and web copy organisations. The words around
them often say otherwise: a work ("the TV series, The Mandalorian", "the Bike & Style book"), a time
("since the Big Bang"), a colour ("in Plasma Blue"), a column heading, a ticker, days of the week, a
crowd ("a million Uighurs"), the first words of a longer name ("the Sioux Falls Argus Leader").
"""

from __future__ import annotations

import calendar
from collections import defaultdict

from spacy.tokens import Doc, Token

from streams.enrichment.entities.lexicon import is_dictionary_word, is_given_name
from streams.enrichment.entities.mentions import _Mention
from streams.enrichment.entities.model import ROLE_HEADS
from streams.enrichment.names import name_key as _key

REFUSED = ""
# Nouns of works: a name in apposition to one, or modifying one, is that work's title.
_WORK_NOUNS = frozenset(
    ("book", "books", "novel", "series", "show", "film", "movie", "album", "song", "soundtrack", "documentary",
     "podcast", "play", "musical", "sitcom", "drama")
)  # fmt: skip
# Prepositions of time: what follows them is an event or a time, not a body ("since the Big Bang").
_TEMPORAL = frozenset(("since", "after", "before", "during", "until"))
# Basic colour terms (Berlin and Kay's eleven, and common paint words): "Plasma Blue" is a paint finish.
_COLOURS = frozenset(
    ("black", "white", "red", "green", "yellow", "blue", "brown", "purple", "pink", "orange", "grey", "gray",
     "silver", "gold", "beige", "bronze")
)  # fmt: skip
_DAY_AND_MONTH = frozenset(
    w.lower()
    for names in (calendar.day_name, calendar.day_abbr, calendar.month_name, calendar.month_abbr)
    for w in names
    if w
)
_TICKER_CUES = frozenset(("shares", "stock", "nyse", "nasdaq", "ticker", "symbol"))
_POSSESSIVE_DETERMINERS = frozenset(("its", "their", "his", "her", "our", "my", "your"))


def _names_a_work(doc: Doc, m: _Mention) -> bool:
    """In apposition to a work noun ("the TV series, The Mandalorian") or modifying one ("the Bike &
    Style book")."""
    lo, hi = m.tokens
    head = doc[hi - 1]
    start = lo - 1 if lo > 0 and doc[lo - 1].lower_ == "the" else lo
    if head.dep_ == "appos" and head.head.lower_ in _WORK_NOUNS and start > 0 and doc[start - 1].text == ",":
        return True
    return hi < len(doc) and doc[hi].lower_ in _WORK_NOUNS and doc[hi].pos_ == "NOUN"


def _after_time_word(doc: Doc, m: _Mention) -> bool:
    """The object of a preposition of time, with an article ("since the Big Bang"): an event. Without
    one it is too often the body acting ("after FIFA ruled")."""
    head = doc[m.tokens[1] - 1]
    the = m.tokens[0] > 0 and doc[m.tokens[0] - 1].lower_ == "the"
    return the and head.dep_ == "pobj" and head.head.lower_ in _TEMPORAL


def _a_crowd(doc: Doc, m: _Mention) -> bool:
    """A plural counted in words ("a million or more Uighurs"): members of a people, not a body. Figures
    before a name are scores or results ("Wigan 42 Bradford Bulls 36")."""
    head = doc[m.tokens[1] - 1]
    plural = head.tag_ in ("NNPS", "NNS") or (
        m.name.endswith("s") and not m.name.endswith(("ss", "us", "is"))
    )
    lo = m.tokens[0]
    return plural and any(c.dep_ in ("nummod", "quantmod") and c.is_alpha and c.i < lo for c in head.children)


def _owned_thing(doc: Doc, m: _Mention) -> bool:
    """The subject of its clause, owned through a possessive determiner ("its electric Gran Turismo is"):
    a thing someone has. A firm owned is written with its owner's name ("Alphabet's Google"), not "its",
    and "his WBO title" owns the title."""
    head = doc[m.tokens[1] - 1]
    if head.dep_ not in ("nsubj", "nsubjpass") or any(c.dep_ == "nummod" for c in head.children):
        return False
    return any(c.dep_ == "poss" and c.lower_ in _POSSESSIVE_DETERMINERS for c in head.children)


def _amount_of(doc: Doc, m: _Mention) -> bool:
    """A singular name measured like a substance ("in favor of more AppleSkin", "less Teflon"): a
    material, since a body is never had in amounts."""
    head = doc[m.tokens[1] - 1]
    return head.tag_ == "NNP" and any(
        c.dep_ == "amod" and c.lower_ in ("more", "less", "much") for c in head.children
    )


def _after_a_spec(doc: Doc, m: _Mention) -> bool:
    """Right after a specification that mixes figures and letters ("Series 3 38mm Smart Watch",
    "65UM7300 4K Smart HDTV"): words of a product listing. Not a hyphenated measure ("the 30-year
    Treasury") or a rank ("the 104th-ranked Tarango")."""
    lo = m.tokens[0]
    if lo == 0 or doc[lo - 1].whitespace_ != " " or doc[lo - 1].is_punct:
        return False
    start = lo - 1  # the written word before the name, which the tokenizer may split ("38mm")
    while start > 0 and not doc[start - 1].whitespace_ and not doc[start - 1].is_space:
        start -= 1
    before = doc[start:lo].text
    ordinal = before.rstrip("stndrh").isdigit()  # "104th": a rank, not a specification
    return (
        before.isalnum()
        and not ordinal
        and any(c.isdigit() for c in before)
        and any(c.isalpha() for c in before)
    )


def _citation(doc: Doc, m: _Mention) -> bool:
    """An initial inside the name, after its first word, in a reference list ("[1] …, Hueske-Kraus D. Curr
    Opin Anaesthesiol"): an author list run into a journal's abbreviated name, no body."""
    lo, hi = m.tokens
    if "&" in m.name or not _reference_line(doc, lo):
        return False  # "Edward D. Jones & Co", "Vann R. Newkirk II": a firm or a person
    return any(len(t.text) == 2 and t.text[0].isupper() and t.text[1] == "." for t in doc[lo + 1 : hi - 1])


def _reference_line(doc: Doc, i: int) -> bool:
    """The paragraph holding token i opens with a bracketed number ("[1] …"): an entry of a reference list."""
    start = i
    while start > 0 and "\n" not in doc[start - 1].text:
        start -= 1
    return start + 2 < len(doc) and doc[start].text == "[" and doc[start + 1].like_num


def _colour(doc: Doc, m: _Mention) -> bool:
    """Two words or more ending in a colour, that something comes in ("in Plasma Blue", "a new Glacier
    White"): a finish, not a body ("Radio Red" is a station)."""
    words = m.name.split()
    lo = m.tokens[0]
    before = [t.lower_ for t in doc[max(0, lo - 2) : lo]]
    return (
        len(words) > 1 and words[-1].lower() in _COLOURS and (before[-1:] == ["in"] or before == ["a", "new"])
    )


def _calendar(m: _Mention) -> bool:
    """Two days or months and nothing else ("Sun & Mon", "Tue – Sat"): opening times, not a name. One
    alone may be a name ("The Sun")."""
    words = [w.strip(".").lower() for w in m.name.split() if w not in ("&", "-", "–", "and")]
    return len(words) > 1 and all(w in _DAY_AND_MONTH for w in words)


def _table_heading(doc: Doc, m: _Mention) -> bool:
    """A cell of a table's header row ("| Ticker | Security | Last |"): a column's name."""
    lo, hi = m.tokens
    before = doc[lo - 1].text if lo > 0 else ""
    after = doc[hi].text if hi < len(doc) else ""
    if before != "|" or after != "|":
        return False
    line_end = next((t.i for t in doc[hi:] if "\n" in t.text), len(doc))
    return line_end + 1 < len(doc) and doc[line_end + 1].text.startswith("|-")


def _ticker(doc: Doc, m: _Mention) -> bool:
    """A stock symbol in brackets after a word for shares ("registered shares (ASCN)", "(NYSE: HD)")."""
    lo, hi = m.tokens
    if not m.name.isupper() or lo < 2 or hi >= len(doc) or doc[hi].text != ")":
        return False
    cue = (
        doc[lo - 2]
        if doc[lo - 1].text == "("
        else doc[lo - 3]
        if lo >= 3 and doc[lo - 1].text == ":"
        else None
    )
    return cue is not None and cue.lower_ in _TICKER_CUES


def _part_of_longer_name(doc: Doc, m: _Mention) -> bool:
    """Right before another proper noun no entity covers ("the Sioux Falls Argus Leader", "WoodSpring
    Suites"): the first words of a longer name. Not before a job title ("Fox News Chairman and CEO"),
    unless the sentence ends there, an all-capitals word or a sentence start."""
    hi = m.tokens[1]
    if hi >= len(doc) or doc[hi - 1].whitespace_ != " " or m.name.isupper():
        return False
    nxt: Token = doc[hi]
    return (
        nxt.pos_ == "PROPN"
        and nxt.is_alpha
        and nxt.text[:1].isupper()
        and not nxt.text.isupper()
        and not nxt.ent_type_
        and not nxt.is_sent_start
        and not (nxt.lower_ in ROLE_HEADS and (hi + 1 >= len(doc) or doc[hi + 1].text != "."))
        and not is_given_name(m.name.split()[0])  # "Nell Carden Grey": a person's name cut short
    )


def _with_common_plural(doc: Doc, m: _Mention, known: set[str]) -> bool:
    """An organisation the article names alone followed by a plural common noun ("KLOOK Visitors"
    beside "KLOOK"): the firm and its customers, not one name. "News" is no plural ("Fox News")."""
    words = m.name.split()
    last = words[-1]
    head = " ".join(words[:-1])
    return (
        len(words) > 1
        and _key(head) in known
        and doc[m.tokens[1] - 1].tag_ in ("NNS", "NNPS")
        and last.endswith("s")
        and not last.endswith("ss")
        and is_dictionary_word(last[:-1])
    )


def _common_phrase(doc: Doc, m: _Mention) -> bool:
    """Capitalised common words inside a common noun phrase ("the annual Fan Vote", "the 200 yard
    Individual Medley state title", "an Expert class"): a measure or an article before them and a common noun after, or an adjective of
    time on them, make them a description, not a name. Read for
    every mention of the name: a body is named elsewhere as one ("a Fed tightening", "the Fed said")."""
    lo, hi = m.tokens
    if not all(is_dictionary_word(t.text) for t in doc[lo:hi] if t.is_alpha) or m.name.isupper():
        return False
    head = doc[hi - 1]
    if any(
        c.dep_ == "amod" and c.text.islower() and c.ent_type_ == "DATE" and c.i < lo for c in head.children
    ):
        return True  # "the annual Fan Vote": what recurs is an event or a practice
    before = doc[lo - 1] if lo > 0 else None
    after = doc[hi] if hi < len(doc) else None
    if before is None or after is None or after.pos_ != "NOUN" or not after.text.islower():
        return False
    # A measure before it ("200 yard"): a number, a space and a common noun that the noun after governs.
    measure = (
        before.pos_ == "NOUN"
        and before.text.islower()
        and before.head.i >= hi
        and before.i > 0
        and doc[before.i - 1].like_num
        and doc[before.i - 1].whitespace_ == " "
    )
    # An article before one capitalised adjective that a common noun after governs ("an Expert class").
    article = (
        before.lower_ in ("a", "an")
        and hi - lo == 1
        and head.head.i == hi
        and head.dep_ in ("amod", "compound")
    )
    return measure or article


def _title_with_adverb(doc: Doc, m: _Mention) -> bool:
    """An adverb inside the name ("7 Habits of Highly Effective People"): a title's wording, since the
    names of bodies are nouns and adjectives."""
    lo, hi = m.tokens
    return hi - lo > 2 and any(t.dep_ == "advmod" and t.lower_.endswith("ly") for t in doc[lo:hi])


def organisation_type(doc: Doc, m: _Mention) -> str | None:
    """The type one mention's sentence gives an "organisation" instead, or None when it says nothing."""
    if _names_a_work(doc, m) or _title_with_adverb(doc, m):
        return "WORK_OF_ART"
    if _after_time_word(doc, m):
        return "EVENT"
    if _a_crowd(doc, m):
        return "NORP"
    if _colour(doc, m) or _calendar(m) or _citation(doc, m) or _table_heading(doc, m) or _ticker(doc, m):
        return REFUSED
    if _owned_thing(doc, m) or _amount_of(doc, m) or _after_a_spec(doc, m):
        return REFUSED
    return None


def retype_organisations(doc: Doc, mentions: list[_Mention]) -> None:
    """Retype every mention of an "organisation" name one mention's sentence shows to be something else;
    refuse the single mentions that are the first words of a longer name or a firm with its customers."""
    orgs = [m for m in mentions if m.label == "ORG"]
    known = {_key(m.name) for m in orgs}
    by_name: dict[str, list[_Mention]] = defaultdict(list)
    for m in orgs:
        by_name[_key(m.name)].append(m)
    for ms in by_name.values():
        if any(m.title for m in ms):
            continue
        votes = [t for m in ms if (t := organisation_type(doc, m)) is not None]
        phrase = all(_common_phrase(doc, m) for m in ms)
        for m in ms:
            if votes:
                m.label = votes[0]
            elif _part_of_longer_name(doc, m) or _with_common_plural(doc, m, known) or phrase:
                m.label = REFUSED
