"""Every worker's memory of a source's people: merged in any order, twice, from any worker."""

from __future__ import annotations

import itertools

import orjson
import pytest

from streams.enrichment.entities import merge_people
from streams.enrichment.people import KnownPeople

UPDATES = [
    {"lavrov": "Sergei Lavrov"},
    {"johnson": "Boris Johnson", "lavrov": "Sergei Lavrov"},
    {"johnson": "Dustin Johnson"},
    {"smith": ""},  # an article that named two Smiths
    {"smith": "Jane Smith", "merkel": "Angela Merkel"},
]


def test_merging_is_order_free_and_idempotent() -> None:
    results = set()
    for order in itertools.permutations(UPDATES):
        known: dict[str, str] = {}
        for update in [*order, *order[:2]]:  # some delivered twice, as after a crash
            known = merge_people(known, update)
        results.add(tuple(sorted(known.items())))
    assert results == {
        (("johnson", ""), ("lavrov", "Sergei Lavrov"), ("merkel", "Angela Merkel"), ("smith", ""))
    }


def test_the_same_person_spelt_with_other_case_or_accents_stays_known() -> None:
    assert merge_people({"lavrov": "Sergei Lavrov"}, {"lavrov": "SERGEI LAVROV"}) == {
        "lavrov": "Sergei Lavrov"
    }


def test_known_people_fold_events_by_source() -> None:
    known = KnownPeople()
    known.apply(orjson.dumps({"source": "a", "people": {"lavrov": "Sergei Lavrov"}}))
    known.learn("b", {"lavrov": "Ivan Lavrov"})
    assert known.get("a") == {"lavrov": "Sergei Lavrov"}
    assert known.get("b") == {"lavrov": "Ivan Lavrov"}
    assert known.get("c") == {}
    known.get("a")["lavrov"] = "changed"  # a copy: the memory is changed only by learning
    assert known.get("a") == {"lavrov": "Sergei Lavrov"} and len(known) == 2


@pytest.mark.parametrize(
    "value", [b"not json", b"{}", b'{"source": 1, "people": {}}', b'{"source": "a", "people": []}']
)
def test_a_malformed_update_is_refused(value: bytes) -> None:
    with pytest.raises((ValueError, KeyError)):
        KnownPeople().apply(value)
