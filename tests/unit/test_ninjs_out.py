"""The enriched article is IPTC ninjs 2.2 in its extension form, checked against the official schema."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from streams.events import contracts, flow
from streams.events.records import to_json
from tests.conftest import ROOT, SAMPLE_FEED, seed_raw_line

# Where the official ninjs 2.2 schema puts GeoJSON (its `places[].geojson` $ref).
GEOJSON_ID = "https://geojson.org/schema/GeoJSON.json"


@pytest.fixture(scope="module")
def official(shared_dir: Path) -> tuple[dict[str, Any], Registry[Any]]:
    """IPTC's ninjs 2.2 schema from ../shared, and a registry holding it and GeoJSON by their ids."""
    folder = shared_dir / "standards" / "ninjs"
    ninjs = orjson.loads((folder / "ninjs-schema_2.2.json").read_bytes())
    geojson = orjson.loads((folder / "GeoJSON-schema.json").read_bytes())
    resources = [
        (ninjs["$id"].rstrip("#"), Resource.from_contents(ninjs, default_specification=DRAFT202012)),
        (GEOJSON_ID, Resource.from_contents(geojson, default_specification=DRAFT202012)),
    ]
    return ninjs, Registry().with_resources(resources)


@pytest.fixture(scope="module")
def extension(official: tuple[dict[str, Any], Registry[Any]]) -> Draft202012Validator:
    """The project's extension schema (schemas/) over the official `ninjsType`, with jsonschema's own
    format checker (rfc3986-validator for `uri`, rfc3339-validator for `date-time`)."""
    _, registry = official
    schema = orjson.loads((ROOT / "schemas" / "enriched-article.schema.json").read_bytes())
    assert schema["allOf"] == [
        {"$ref": "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json#/$defs/ninjsType"}
    ]
    checker = Draft202012Validator.FORMAT_CHECKER
    # Without the optional format libraries jsonschema silently passes every `uri` and `date-time`.
    assert {"uri", "date-time"} <= set(checker.checkers)
    return Draft202012Validator(schema, registry=registry, format_checker=checker)


@pytest.fixture(scope="module")
def enriched() -> list[dict[str, Any]]:
    """The wire form of every enriched article `process` makes of the seed and the sample feed."""
    from streams.settings import Settings
    from streams.tools import process

    def enrich(lines: list[bytes]) -> list[dict[str, Any]]:
        out = process.run([(None, line) for line in lines], Settings.from_env())
        return [orjson.loads(to_json(o.event)) for o in out if o.spec is flow.ENRICHED]

    feed = [line for line in SAMPLE_FEED.read_bytes().splitlines() if line.strip()]
    # Run apart: in one run the feed's first line would be the seed again, a duplicate not enriched twice.
    seed, events = enrich([seed_raw_line()]), enrich(feed)
    assert len(seed) == 1 and len(events) == len(feed)
    events = seed + events
    return events


def _errors(validator: Draft202012Validator, document: dict[str, Any]) -> list[Any]:
    return list(validator.iter_errors(document))


def test_every_enriched_article_of_the_feed_and_the_seed_is_ninjs_2_2_extended(
    extension: Draft202012Validator, enriched: list[dict[str, Any]]
) -> None:
    for document in enriched:
        assert not _errors(extension, document), [e.message for e in _errors(extension, document)]


def test_without_the_extension_properties_each_is_a_strict_ninjs_2_2_document(
    official: tuple[dict[str, Any], Registry[Any]], enriched: list[dict[str, Any]]
) -> None:
    ninjs, registry = official
    strict = Draft202012Validator(
        ninjs, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    ninjs_fields = set(ninjs["$defs"]["ninjsType"]["properties"])
    for document in enriched:
        core = {k: v for k, v in document.items() if k in ninjs_fields}
        assert {"uri", "type", "version", "headlines", "bodies", "subjects"} <= set(core)
        assert not _errors(strict, core), [e.message for e in _errors(strict, core)]


def _fails_in_ninjs(extension: Draft202012Validator, document: dict[str, Any], keyword: str) -> None:
    """The document fails, and the official ninjsType (reached through `allOf`) says so by `keyword`."""
    errors = _errors(extension, document)
    assert any(e.validator == keyword and "allOf" in e.absolute_schema_path for e in errors), [
        (e.validator, list(e.absolute_schema_path), e.message) for e in errors
    ]


@pytest.mark.parametrize(
    ("path", "value", "keyword"),
    [
        (("uri",), "not a uri", "format"),
        (("people", 0, "uri"), "person name", "format"),
        (("subjects", 0, "uri"), "medtop 11000000", "format"),
        (("firstcreated",), "2017-12-22T09:32:00", "format"),
        (("versioncreated",), "2017-13-22T09:32:00Z", "format"),
        (("version",), 1, "type"),
        (("subjects", 0, "relevance"), 0.99, "type"),
        (("subjects", 0, "relevance"), 101, "maximum"),
        (("people", 0, "salience"), 0.5, "additionalProperties"),
        (("type",), "article", "enum"),
    ],
)
def test_the_official_schema_refuses_what_ninjs_does_not_allow(
    extension: Draft202012Validator,
    enriched: list[dict[str, Any]],
    path: tuple[str | int, ...],
    value: Any,
    keyword: str,
) -> None:
    document = copy.deepcopy(enriched[0])
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    _fails_in_ninjs(extension, document, keyword)


def test_an_undeclared_root_property_fails_and_a_ninjs_one_passes(
    extension: Draft202012Validator, enriched: list[dict[str, Any]]
) -> None:
    document = enriched[0]
    [error] = _errors(extension, {**document, "url": "https://example.com/a"})
    assert error.validator == "unevaluatedProperties" and "'url'" in error.message
    # Any property ninjs declares may be added (the extension form keeps all of ninjs).
    assert not _errors(extension, {**document, "slugline": "lavrov-johnson", "urgency": 3})


def test_the_contract_resolves_iptc_files_by_their_own_ids_and_none_is_copied_in(shared_dir: Path) -> None:
    folder = shared_dir / "standards" / "ninjs"
    ninjs = orjson.loads((folder / "ninjs-schema_2.2.json").read_bytes())
    assert ninjs["$id"].rstrip("#") in contracts.STANDARDS
    assert set(contracts.STANDARDS.values()) <= {p.name for p in folder.iterdir()}
    # IPTC's files are read from ../shared, never kept in the repository.
    assert not [p for p in (ROOT / "schemas").rglob("*.json") if p.name in contracts.STANDARDS.values()]
