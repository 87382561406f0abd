"""Usage evidence: how an article uses a name says whether it is an organisation or a thing it makes.

An organisation acts: it says, announces or hires, it is followed by its legal form. A product is used:
it is the new X, the X app or the X speaker, something one uses, buys or installs.
A name the article only ever uses as a thing is a product, whatever the model called it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from spacy.tokens import Doc, Token

from streams.enrichment.entities.mentions import _Mention

# Nouns of things made and sold: "the MEB platform", "other Alexa device", "the UCS sets".
_PRODUCT_NOUNS = frozenset(
    ("app", "apps", "device", "devices", "speaker", "speakers", "platform", "phone", "phones", "tablet", "laptop",
     "console", "model", "models", "set", "sets", "grille", "interface", "water", "drink", "beer", "software",
     "service", "browser", "camera", "headphones", "earbuds", "lander", "rocket", "engine", "vehicle", "car",
     "cars", "wagon", "coupe", "suv", "watch", "edition", "version", "feature", "features", "subscription", "solution",
     "supplement", "supplements")
)  # fmt: skip
# Verbs whose object is a thing, not a body: one uses, buys or installs a product.
_USE_VERBS = frozenset(("use", "buy", "install", "download", "launch", "unveil", "reveal", "stream", "wear"))
# Verbs an organisation is the subject of: it speaks, decides and employs.
_ACT_VERBS = frozenset(
    ("say", "tell", "announce", "report", "estimate", "hire", "sue", "employ", "acquire", "confirm", "plan",
     "deny", "decline", "agree", "sign", "invest", "own", "appoint", "fire", "warn", "expect")
)  # fmt: skip
_LEGAL_FORMS = frozenset(("inc", "corp", "ltd", "llc", "plc", "co", "ag", "sa", "gmbh"))


def _product_use(doc: Doc, m: _Mention) -> bool:
    """One mention used as a thing: a modifier of a product noun, the object of a use verb, or "the new X"."""
    lo, hi = m.tokens
    head: Token = doc[hi - 1]
    if head.dep_ == "compound" and head.head.i >= hi and head.head.lower_ in _PRODUCT_NOUNS:
        return True
    if head.dep_ == "dobj" and head.head.lemma_ in _USE_VERBS:
        return True
    before = [t.lower_ for t in doc[max(0, lo - 2) : lo]]
    # Not an owner before the name: "Amazon's Alexa" is a product, but "Webb's Ford sedan" is a make of car.
    return before[-1:] == ["new"] and before[:1] in (["the"], ["its"], ["their"])


def _organisation_act(doc: Doc, m: _Mention) -> bool:
    """One mention acting as a body: subject of a speech or business verb, owner of something ("Ford's
    Mustang"), or followed by a legal form."""
    hi = m.tokens[1]
    head = doc[hi - 1]
    if head.dep_ == "nsubj" and head.head.lemma_ in _ACT_VERBS:
        return True
    if hi < len(doc) and doc[hi].tag_ == "POS":
        return True
    return hi < len(doc) and doc[hi].lower_.rstrip(".") in _LEGAL_FORMS


def used_as_products(doc: Doc, mentions: Iterable[_Mention]) -> frozenset[str]:
    """The names the article uses as things more often than it lets them act as organisations, and at least
    once: one name, one referent, so every mention of it, whatever its label, is a vote."""
    votes: dict[str, int] = defaultdict(int)
    for m in mentions:
        if _product_use(doc, m):
            votes[m.name] += 1
        elif _organisation_act(doc, m):
            votes[m.name] -= 1
    return frozenset(name for name, v in votes.items() if v > 0)
