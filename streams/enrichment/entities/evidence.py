"""Evidence for a type: given names make people, unknown "places" and product-like "people" are refused."""

from __future__ import annotations

import re

from spacy.tokens import Doc

from streams.enrichment.entities.lexicon import is_dictionary_word, is_given_name, is_place, is_surname
from streams.enrichment.entities.mentions import _Mention
from streams.enrichment.entities.model import ROLE_HEADS
from streams.enrichment.entities.organisations import retype_organisations
from streams.enrichment.entities.persons import retype_people
from streams.enrichment.entities.places import _resolve_place
from streams.enrichment.entities.usage import used_as_products
from streams.enrichment.nlp import text_of

# Last words that make a name an organisation, a place or a thing, never a person's surname.
_ORGANISATION_WORDS = """inc ltd llc corp corporation co group company companies studio studios design designs
    institute university college academy school bank fund foundation association society council club league
    team partners holdings services systems technologies labs media news press times post journal network
    airlines airline airways motors park street avenue road square river lake mountain island islands city
    county state valley bridge hall hill center centre stadium arena hotel festival show award awards army
    navy force police finals cup"""
_NOT_SURNAMES = frozenset(_ORGANISATION_WORDS.split())
# Last words of an "organisation" that is an event, a law, or a thing sold or done.
_EVENT_WORDS = frozenset(
    ("show", "festival", "cup", "finals", "championship", "championships", "open", "games", "olympics", "induction", "expo")
)  # fmt: skip
_LAW_WORDS = frozenset({"act", "bill"})
# Last words of an "organisation" that is a place: a structure or a piece of land or water.
_PLACE_KINDS = frozenset(
    ("bridge", "park", "street", "avenue", "road", "square", "river", "lake", "mountain", "island", "valley",
     "hill", "stadium", "arena", "world")
)  # fmt: skip
_THING_WORDS = frozenset(
    ("meal", "plan", "series", "edition", "card", "units", "unit", "goal", "award", "management", "pass", "package",
     "system", "care")
)  # fmt: skip
_LEGAL_FORMS = ("Inc", "Inc.", "Ltd", "Ltd.", "LLC", "Corp", "Corp.", "Co", "Co.", "Plc", "PLC")
# Prepositions that put a place after them ("in Forest Hill", "near Baar").
_LOCATIVE = frozenset({"in", "near", "outside", "across", "around"})
_NAME_WORD = re.compile(r"[A-Z][a-zA-Z'\u2019-]*[a-z][a-zA-Z'\u2019-]*$")
_MATCH_VERBS = frozenset(
    ("beat", "defeat", "draw", "edge", "thrash", "rout", "crush", "overcome", "hammer", "outplay")
)
_SCORE = re.compile(r"\d{1,3}(-\d{1,3})?$")
_PRODUCT_MARK = re.compile(r"[0-9+]")
REFUSED = ""  # the label of a mention that names no referent of its type


def _looks_like_person(doc: Doc, m: _Mention) -> bool:
    """Two or three name-shaped words, the first a census given name, the last a census surname and no
    organisation word ("Diego Schwartzman"; not "Royal Navy", "Sierra Nevada Corporation")."""
    words = m.name.split()
    return (
        2 <= len(words) <= 3
        and all(_NAME_WORD.match(w) for w in words)
        and _given(words[0])
        and _surname_shaped(words[-1])
        and doc[m.tokens[1] - 1].tag_ != "NNPS"
        and words[-1].lower() not in _NOT_SURNAMES
        and _resolve_place(m.name, True) is None
        and not is_place(m.name)
    )


def _acts_as_person(doc: Doc, m: _Mention) -> bool:
    """Two name-shaped words the census lacks a given name for but whose last is a census surname, used
    as only a person is: the winner or loser of a match ("Vasek Pospisil edged Reilly Opelka") or named
    after a lower-case agent noun that says what the person does ("diver Keetan Munsell"). No word a
    place or a common word: "Aston Villa beat", "insurer Allianz" stay the model's."""
    words = m.name.split()
    lo, hi = m.tokens
    if len(words) != 2 or not all(_NAME_WORD.match(w) for w in words) or not is_surname(words[-1]):
        return False
    if any(is_dictionary_word(w) or is_place(w) for w in words) or _resolve_place(m.name, True) is not None:
        return False
    before = doc[lo - 1] if lo > 0 else None
    agent = (
        before is not None
        and before.is_alpha
        and before.text.islower()
        and not before.is_stop
        and before.text.endswith(("er", "or", "ist", "ian"))
        and is_dictionary_word(before.text)  # the tagger often takes "diver" before a name for a verb
    )
    head = doc[hi - 1]
    return agent or (head.dep_ in ("nsubj", "dobj") and head.head.lemma_ in _MATCH_VERBS)


def _given(word: str) -> bool:
    """A census given name, or a hyphenated pair of them ("Jo-Wilfried", "Anne-Gaelle")."""
    parts = word.split("-")
    return is_given_name(parts[0]) and all(p[:1].isupper() for p in parts)


def _surname_shaped(word: str) -> bool:
    """A census surname, or a word the census never saw that is no common English word either: the
    census is American, so most foreign surnames ("Tararache", "Clignet") are missing from it, while
    after a given name a common word ("Grace Road", "Reynard Motorsport") names a thing, not a person."""
    return is_surname(word) or not (is_dictionary_word(word) or is_place(word))


def _placed(doc: Doc, mentions: list[_Mention], name: str) -> bool:
    """True if the article writes this name after a locative preposition somewhere ("in Forest Hill")."""
    return any(
        m.name == name and m.tokens[0] > 0 and doc[m.tokens[0] - 1].lower_ in _LOCATIVE for m in mentions
    )


def _product_like(doc: Doc, m: _Mention, lowered: frozenset[str]) -> bool:
    """A "person" with a digit or plus ("RAV4 Hybrid", "Disney+"); one word that is plural ("Nighthawks"),
    of three letters or fewer ("Max", a masked "Ali") or a dictionary word ("Switch", "Salad"), unless a
    given name or surname ("Trump", "Drake"); or one whose last word the article writes as a common noun ("Pokemon Sword")."""
    words = m.name.split()
    if _PRODUCT_MARK.search(m.name) or (len(words) == 1 and len(m.name) <= 3):
        return True
    if is_given_name(words[0]):
        return False
    if len(words) == 1:
        last = doc[m.tokens[1] - 1]
        plural = last.text.endswith("s") and not last.text.endswith("ss") and last.tag_ in ("NNPS", "NNS")
        # A plural whatever the tagger said: "Watches", "Broncos", "Nighthawks" are a common noun's plural.
        plural = plural or _plural_of_word(last.text)
        return not is_surname(m.name) and (plural or is_dictionary_word(last.lemma_ or m.name))
    if words[-1].lower() in lowered or words[-1].lower() in _NOT_SURNAMES:
        return True
    # Three capitalised common words or more, the last no census surname ("Dark Web Monitoring", "Fossil
    # Hybrid HR"): a feature or a product, not a name someone is called by. Two such words are too often
    # a foreign name the census lacks ("Olivier Bosc").
    return len(words) >= 3 and all(is_dictionary_word(w) for w in words) and not is_surname(words[-1])


def _written_lower(text: str, name: str) -> bool:
    """A name of two words or more that the article (`text`) also writes in lower case is a common noun
    phrase capitalised by a headline or a listing ("Smart Watch" beside "a smart watch"), not a proper name."""
    return " " in name and name.lower() != name and f" {name.lower()}" in text


_OPEN_QUOTES = frozenset({"\u201c", '"'})
_CLOSE_QUOTES = frozenset({"\u201d", '"'})


def _in_quoted_title(doc: Doc, m: _Mention) -> bool:
    """Part of a longer title in quotation marks ("Takin' It to the Streets", a song; "Bike & Style", a
    book named with more words around): a short quoted phrase in title case names a work, and a person
    or organisation spaCy finds inside it is a piece of that name. Quoted speech is not in title case."""
    lo, hi = m.tokens
    sent = doc[lo].sent
    opening = next((i for i in range(lo - 1, sent.start - 1, -1) if doc[i].text in _OPEN_QUOTES), -1)
    closing = next((i for i in range(hi, sent.end) if doc[i].text in _CLOSE_QUOTES), -1)
    if opening < 0 or closing < 0 or closing - opening - 1 <= hi - lo or closing - opening > 10:
        return False
    words = [t for t in doc[opening + 1 : closing] if t.is_alpha and len(t) >= 4]
    return bool(words) and all(t.text[:1].isupper() for t in words)


def _firm_word(word: str) -> bool:
    """A last word that makes a "person" a firm or a body ("Design", "Studio", "Foundation"): an
    organisation word no census surname shares ("Damon Hill", "Mungo Park" stay people)."""
    return word.lower() in _NOT_SURNAMES and not is_surname(word)


def _plural_of_word(word: str) -> bool:
    """A capitalised plural of a common noun ("Watches", "Broncos"): what is left without the "s" or
    "es" is a dictionary word. Surnames that look so ("Williams") are weighed by the caller first."""
    if len(word) < 4 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return False
    return is_dictionary_word(word[:-1]) or (word.endswith("es") and is_dictionary_word(word[:-2]))


def _known_place(name: str) -> bool:
    """A city GeoNames knows, or a known place with its kind written after it ("New York State")."""
    if is_place(name):
        return True
    head, _, kind = name.rpartition(" ")
    return (
        kind in ("State", "City")
        and bool(head)
        and (is_place(head) or _resolve_place(head, True) is not None)
    )


def _organisation_type(m: _Mention) -> str:
    """An "organisation" named as an event ("Dubai Air Show") is an EVENT, as an act ("Hong Kong Human
    Rights and Democracy Act") a LAW; a thing ("Ultimate Collector Series"), two names run together
    ("Thibaut Courtois to Real Madrid", "Bleacher Report, Uber Eats") are refused."""
    words = m.name.split()
    last = words[-1].lower()
    if " to " in m.name or ("," in m.name and not m.name.endswith(_LEGAL_FORMS)):
        return REFUSED
    if "\u00ae" in m.name or "\u2122" in m.name or any(_PRODUCT_MARK.search(w) for w in words[1:]):
        return "PRODUCT"  # a registered mark ("Digital Intuition®") or a model number ("Note 10 Plus")
    if len(words) == 2 and words[0] in ("Group", "Pool") and len(words[1]) == 1 and words[1].isupper():
        return REFUSED  # "Group A" of a tournament is a draw, not an organisation
    if len(words) > 1 and last in _EVENT_WORDS:
        return "EVENT"
    if len(words) > 1 and last in _PLACE_KINDS:
        return "FAC"  # "Stamford Bridge", "Forest Hill": a name ending in a kind of place is that place
    if len(words) > 2 and last in _LAW_WORDS:
        return "LAW"
    return REFUSED if len(words) > 1 and last in _THING_WORDS else "ORG"


def _refused(doc: Doc, m: _Mention, lowered: frozenset[str], placed: bool) -> bool:
    if m.label == "GPE":
        return not placed and not _known_place(m.name)
    return m.label == "PERSON" and _product_like(doc, m, lowered)


def _head_of_longer_name(doc: Doc, m: _Mention) -> bool:
    """A place written right before another proper noun no entity covers is the first part of a longer
    name (a team, a school, an office: "Oklahoma City Thunder", "New York State Attorney General"), not
    the place itself. Not a country ("U.S. Treasury" is the country's), nor in capitals: in an all-capitals
    headline every word looks like a proper noun ("FRANCE BEAT MEXICO")."""
    hi = m.tokens[1]
    if hi >= len(doc) or doc[hi - 1].whitespace_ != " " or m.name.isupper():
        return False
    if m.place is not None and len(m.place.code) == 2:
        return False
    nxt = doc[hi]
    return (
        nxt.pos_ == "PROPN"
        and nxt.text[:1].isupper()
        and not nxt.text.isupper()
        and not nxt.ent_type_
        and not nxt.is_sent_start
        and nxt.lower_.rstrip(".") not in ROLE_HEADS  # "Texas Gov. Greg Abbott": the state of the office
    )


def _plays(doc: Doc, m: _Mention) -> bool:
    """Subject or object of a match verb against another proper name: "Leicestershire beat Somerset"."""
    head = doc[m.tokens[1] - 1]
    if head.dep_ not in ("nsubj", "dobj") or head.head.lemma_ not in _MATCH_VERBS:
        return False
    other = "dobj" if head.dep_ == "nsubj" else "nsubj"
    return any(c.dep_ == other and c.pos_ == "PROPN" for c in head.head.children)


def _scored_team(doc: Doc, m: _Mention) -> bool:
    """A city or county that beats another side, or is followed by a score in a line of results ("Essex
    532-8 , Kent 320"), is a team: one name-and-number pair alone is a dateline or an age, two in one
    sentence are a results line. Country names stay places (national teams are named by their country)."""
    hi = m.tokens[1]
    if m.label not in ("GPE", "LOC") or (m.place is not None and len(m.place.code) == 2):
        return False
    if _plays(doc, m):
        return True
    if hi >= len(doc) or not _SCORE.match(doc[hi].text):
        return False
    sent = doc[hi].sent
    pairs = sum(1 for t in sent if t.i > sent.start and _SCORE.match(t.text) and doc[t.i - 1].pos_ == "PROPN")
    return pairs >= 2


def weigh_evidence(doc: Doc, mentions: list[_Mention], lowered: frozenset[str]) -> None:
    """Retype or refuse mentions on what the name itself says, after pycountry has resolved places:
    "Diego Schwartzman" ORG is a person, a "GPE" no gazetteer knows and the article never puts a
    preposition of place before ("Dashlane", "Bloomberg") is refused, and so is a product-like person."""
    # A surname of someone the article names in full is that person ("Stone" after "Sharon Stone").
    named = {w for m in mentions if m.label == "PERSON" and " " in m.name for w in m.name.split()}
    products = used_as_products(doc, mentions)
    # Read once (`text_of`): `Doc.text` makes a Token object per word on every call, and a 3,500-word
    # article with 70 candidate names spent as long here as in the parser.
    text = text_of(doc)
    for m in mentions:
        if m.dateline:
            continue
        if m.label in ("PERSON", "ORG") and (_written_lower(text, m.name) or _in_quoted_title(doc, m)):
            m.label = REFUSED
            continue
        if _scored_team(doc, m):
            m.label, m.place = "ORG", None
        if m.label in ("GPE", "LOC", "FAC") and _head_of_longer_name(doc, m):
            m.label = REFUSED
            continue
        if m.title or m.place is not None or m.roles:
            continue
        placed = _placed(doc, mentions, m.name)
        words = m.name.split()
        if m.label == "PERSON" and len(words) > 1 and words[-1].lower() in _EVENT_WORDS:
            m.label = "EVENT"  # "Davis Cup": a given name first does not make a tournament a person
        elif m.label in ("GPE", "LOC", "FAC") and len(words) > 1 and words[0] == "Air":
            m.label, m.place = "ORG", None  # "Air Astana", "Air Canada": airlines, not places
        elif (m.label in ("ORG", "GPE", "LOC", "FAC") and not placed and _looks_like_person(doc, m)) or (
            m.label == "ORG" and _acts_as_person(doc, m)
        ):
            m.label = "PERSON"
        elif m.label == "PERSON" and len(words) > 1 and _firm_word(words[-1]):
            m.label = _organisation_type(m)  # "Peter Koros Design": a firm named after its founder
        elif m.label == "PERSON" and len(words) > 1 and is_place(m.name) and not is_given_name(words[0]):
            m.label = "GPE"  # "Sioux Falls": a city GeoNames knows, whose first word is no given name
        elif m.name not in named and _refused(doc, m, lowered, placed):
            m.label = REFUSED
        elif m.label == "ORG" and m.name in products:
            m.label = "PRODUCT"  # "use Alexa", "the MEB platform": a thing the article uses, not a body
        elif m.label == "ORG":
            m.label = _organisation_type(m)
    retype_people(doc, mentions)
    retype_organisations(doc, mentions)
