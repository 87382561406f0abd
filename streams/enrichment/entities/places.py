"""Places: country and subdivision names resolved through pycountry to one canonical place."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pycountry

from streams.enrichment.names import name_key as _key

# pycountry's short names are formal for a few countries; newsrooms use these common names.
_COUNTRY_NAMES = {
    "RU": "Russia",
    "CD": "Democratic Republic of the Congo",
    "PS": "Palestine",
    "FM": "Micronesia",
    "VA": "Vatican City",
    "BN": "Brunei",
    "VI": "U.S. Virgin Islands",
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
    "us virgin islands": "VI",
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


@lru_cache(maxsize=64)
def us_state(code: str) -> _Place | None:
    """The US state (or district, or territory) a two-letter postal code names ("SD", "NY"), per pycountry."""
    if len(code) != 2 or not code.isascii() or not code.isupper():
        return None
    sub = pycountry.subdivisions.get(code=f"US-{code}")
    return _Place(sub.name, sub.code) if sub is not None else None
