"""Matching people's names: the keys names are compared by, and the merge of what sources know.

Free of spaCy: the worker process (which folds news.people.learned) uses it without loading the NLP.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

_DOTS = re.compile("[.'\u2019]")


def name_key(text: str) -> str:
    """Matching key of a name: case, accents, dots and apostrophes ignored ("U.S." → "us")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii") or text
    return " ".join(_DOTS.sub("", folded).casefold().split())


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
        elif seen and (not name or name_key(seen) != name_key(name)):
            merged[surname] = ""
    return merged
