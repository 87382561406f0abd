"""Entity span rules for web text: names cut at page separators and scores, junk spans refused, types fixed."""

from __future__ import annotations

import re

from spacy.tokens import Doc

from streams.enrichment.entities.lexicon import is_given_name, is_place

# Separators of page titles and listings ("Apple Arcade: So Many Ways…", "WeWork – TechCrunch"): a name
# never runs across one.
_SEPARATORS = frozenset({":", "|", "–", "—", "•", "·", "/"})
# Labels whose names never end in a number: "Nicolas Jarry 6-4" is the player, "Chile 3-0" the country.
_NO_TRAILING_NUMBER = frozenset({"PERSON", "GPE", "LOC", "NORP"})
# Common abbreviations and units the model takes for organisations in product and technology copy;
# none of them names one referent.
_ABBREVIATIONS = """ai awd rwd fwd 4wd ev evs suv suvs usb pet rgb ips led lcd oled hd uhd tv pc pcs gps ecg ekg nas ict rtb
    ipo ipos gmt utc kw kwh mph rpm wifi wi-fi dsp dsps icu icus rrp faq url api apis cpu gpu ram ssd vpn
    diy pdf html sms dna ceo cfo coo cto"""
COMMON_ABBREVIATIONS = frozenset(_ABBREVIATIONS.split())
_WEB_JUNK = re.compile(r"https?:|www\.|@|_|\*")
# A match score ("3-0", "6–4"): never the end of any name, whatever its label ("Chile 3-0" FAC).
_SCORE = re.compile(r"\d{1,2}[-–]\d{1,2}$")


def span_bounds(doc: Doc, lo: int, hi: int, label: str) -> tuple[int, int]:
    """The token range of the name inside a spaCy span: cut at a title separator, scores off the end."""
    for i in range(lo + 1, hi):
        t = doc[i]
        spaced_dash = t.text == "-" and t.whitespace_ and doc[i - 1].whitespace_
        if t.text in _SEPARATORS or spaced_dash:
            hi = i
            break
    while hi - 1 > lo and (doc[hi - 1].is_space or _score_tokens(doc, lo, hi)):
        hi -= 1 if doc[hi - 1].is_space else _score_tokens(doc, lo, hi)
    if label in _NO_TRAILING_NUMBER:
        while hi - 1 > lo and (
            any(ch.isdigit() for ch in doc[hi - 1].text) or doc[hi - 1].is_punct or doc[hi - 1].is_space
        ):
            hi -= 1
    return lo, hi


def _score_tokens(doc: Doc, lo: int, hi: int) -> int:
    """How many tokens at the end of doc[lo:hi] write a score: "3-0" is one token or three."""
    for n in (1, 3):
        if hi - n > lo and _SCORE.match("".join(t.text for t in doc[hi - n : hi])):
            return n
    return 0


def is_junk(doc: Doc, lo: int, hi: int, name: str) -> bool:
    """True for spans that name no referent: URLs and handles, quantities, contractions, abbreviations
    of common nouns ("EV", "USB"), and any name holding a verb ("Garrett hit Rudolph")."""
    first = doc[lo]
    if _WEB_JUNK.search(name) or masked(doc, hi):
        return True
    capitalised = any(t.text[:1].isupper() for t in doc[lo:hi])
    if not capitalised and (not first.text[:1].isalpha() or (first.is_alpha and first.text.islower())):
        return True  # "¼ cup feta", "n’t", "nonstick spray"; "6th Avenue", "iPhone" and "my6sense" stay
    if name.casefold() in COMMON_ABBREVIATIONS:
        return True
    if _function_word_edge(doc, lo, hi) or _inner_possessive(doc, lo, hi) or _glued_repeat(name):
        return True
    return any(t.pos_ in ("VERB", "AUX") and t.text.islower() for t in doc[lo:hi])


def _glued_repeat(name: str) -> bool:
    """Page residue that glues a name to itself ("Kristi NoemKristi Lynn Noem", a caption run into a
    link): a word whose tail after an inner lower-to-upper case change is another word of the name.
    Prefixes of real names are short ("McDonald"), so the head must be four letters or more."""
    words = name.split()
    for word in words:
        for i in range(4, len(word) - 1):
            if word[i - 1].islower() and word[i].isupper() and word[i:] in words:
                return True
    return False


def after_position(doc: Doc, lo: int, hi: int) -> int:
    """Where a person's name starts after a team and a position abbreviation ("Browns DL Sheldon
    Richardson", "Jets QB Sam Darnold"): after an all-capitals word of two or three letters inside the span
    that a census given name follows. Otherwise `lo`."""
    for i in range(lo + 1, hi - 2):
        t = doc[i]
        if t.is_alpha and t.text.isupper() and 2 <= len(t) <= 3 and is_given_name(doc[i + 1].text):
            return i + 1
    return lo


def _function_word_edge(doc: Doc, lo: int, hi: int) -> bool:
    """A name that ends on a lower-case function word ("Hall of Fame's Class of": the year was cut off) or
    is one capitalised function word alone ("More", "Off" of a headline or a listing) is a fragment."""
    last = doc[hi - 1]
    if hi - lo > 1 and last.is_stop and last.text.islower() and last.pos_ in ("ADP", "DET", "CCONJ", "SCONJ"):
        return True
    return hi - lo == 1 and last.is_stop and last.text.istitle() and last.pos_ not in ("PROPN", "NOUN")


def _inner_possessive(doc: Doc, lo: int, hi: int) -> bool:
    """A possessive inside a span after a person's or a place's name joins two names ("Jeff Bezos's Blue
    Origin", "Cleveland's Public Auditorium"): the owner and the thing owned are two referents, and the
    span is neither. After other words it is one name ("People's Daily", "McDonald's Corp")."""
    inner = [i for i in range(lo + 1, hi - 1) if doc[i].tag_ == "POS"]
    if not inner:
        return False
    owner = doc[lo : inner[0]]
    return is_place(owner.text) or (len(owner) >= 2 and is_given_name(owner[0].text))


def masked(doc: Doc, hi: int) -> bool:
    """True when asterisks follow a name with no space ("– Ali***"): a reviewer's name cut short to hide it
    is no referent anyone can be found under."""
    return hi < len(doc) and doc[hi].text.startswith("*") and not doc[hi - 1].whitespace_


def label_glued(doc: Doc, lo: int) -> int:
    """Where a name really starts when a credit label is glued to its first word by an underscore
    ("Director_Oh Kyeong Taek": spaCy's span starts at "Kyeong"): the character offset of "Oh", else -1."""
    if lo == 0 or not doc[lo - 1].whitespace_:
        return -1
    before = doc[lo - 1].text
    head, sep, word = before.rpartition("_")
    if not sep or not head or not word[:1].isupper() or not word.isalpha():
        return -1
    return doc[lo - 1].idx + len(head) + 1


def plural_is_group(doc: Doc, lo: int, hi: int, label: str) -> str:
    """A "person" named by a plural ("the Steelers", "Doobie Brothers") is a team or band: ORG."""
    if label == "PERSON" and doc[hi - 1].tag_ == "NNPS":
        return "ORG"
    return label


def lower_words(doc: Doc) -> frozenset[str]:
    """Words the article writes in lower case mid-sentence: common nouns, whatever a headline capitalises."""
    return frozenset(t.text for t in doc if t.is_alpha and t.text.islower() and not t.is_sent_start)


def common_word(doc: Doc, lo: int, hi: int, lowered: frozenset[str]) -> bool:
    """A one-word name the article also writes in lower case ("Meth" beside "using meth") is a common noun."""
    return hi - lo == 1 and doc[lo].text.lower() in lowered and not doc[lo].text.isupper()
