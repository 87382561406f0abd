"""The language-neutral event contracts (JSON Schemas of schemas/) and validation of events by topic."""

from __future__ import annotations

import re
import sys
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from streams.events import flow

# schemas/ at the repository root is the one source of truth. A checkout (or an editable install) reads it
# in place; a built package carries a copy made at build time (setup.py), as a wheel has no schemas/.
REPO_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
PACKAGE_SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
SCHEMAS = REPO_SCHEMAS if (REPO_SCHEMAS.parent / "pyproject.toml").is_file() else PACKAGE_SCHEMAS
# The official schemas an enriched article's contract builds on (ninjs 2.2 and the GeoJSON it references),
# resolved by their official ids from a folder of IPTC's files: no network at validation. They are not
# copied into this repository; by default they are read from ../shared/standards/ninjs beside it.
STANDARDS = {
    "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json": "ninjs-schema_2.2.json",
    "https://geojson.org/schema/GeoJSON.json": "GeoJSON-schema.json",
}
DEFAULT_STANDARDS = REPO_SCHEMAS.parents[1] / "shared" / "standards" / "ninjs"
# Schemas that reference the official ones: validating against them needs that folder.
NEEDS_STANDARDS = ("enriched-article.schema.json",)

# Design topic name (without the environment's prefix) → the schema of its values.
SCHEMA_FILES: dict[str, str] = {
    flow.RAW.name: "raw-article.schema.json",
    flow.RAW_BY_SOURCE.name: "raw-article.schema.json",
    flow.SYNDICATION.name: "syndication-hop.schema.json",
    flow.GATE.name: "gate-input.schema.json",
    flow.KILLS.name: "kill.schema.json",
    flow.CLEAN.name: "clean-article.schema.json",
    flow.ENRICHED.name: "enriched-article.schema.json",
    flow.ENTITIES.name: "entity.schema.json",
    flow.QUOTES.name: "quote.schema.json",
    flow.TOPICS.name: "topic.schema.json",
    flow.PEOPLE_LEARNED.name: "people-learned.schema.json",
    flow.TRENDING.name: "trending.schema.json",
    flow.DEADLETTER.name: "dead-letter.schema.json",
}
# The event topics also carry Retractions of their own events, on the same key. A value is a retraction when
# it has `retracts` (its ce_type is news.retraction): the events' schemas forbid that one field.
RETRACTION_SCHEMA = "retraction.schema.json"
RETRACTABLE = (flow.ENTITIES.name, flow.QUOTES.name, flow.TOPICS.name)

# RFC 3339 date-time, offset required: jsonschema only checks "date-time" when the optional
# rfc3339-validator is installed, and a silent pass would hide naive datetimes on the wire.
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", flags=re.ASCII
)
FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats only constrain strings; `type` says what else is allowed
    if not _RFC3339.match(value):
        return False
    # A leap second (":60") is valid RFC 3339 that datetime cannot hold.
    datetime.fromisoformat(value[:17] + "59" + value[19:] if value[17:19] == "60" else value)
    return True


class ContractError(ValueError):
    """An event that does not match its topic's schema; `errors` lists every violation."""

    def __init__(self, topic: str, schema_file: str, errors: list[str]) -> None:
        super().__init__(f"event on {topic} does not match {schema_file}: " + "; ".join(errors))
        self.topic = topic
        self.schema_file = schema_file
        self.errors = errors


@cache
def load_schema(filename: str) -> dict[str, Any]:
    """One JSON Schema of schemas/ (or its copy in a built package), by file name (e.g. "quote.schema.json")."""
    schema: dict[str, Any] = orjson.loads((SCHEMAS / filename).read_bytes())
    return schema


def schema_file(topic_name: str, event: dict[str, Any]) -> str:
    """The schema file `event` is checked against on `topic_name`: the topic's own, or a retraction's."""
    try:
        filename = SCHEMA_FILES[topic_name]
    except KeyError:
        raise KeyError(
            f"no schema for topic {topic_name!r} (give the design name without prefix: "
            f"{', '.join(SCHEMA_FILES)})"
        ) from None
    return RETRACTION_SCHEMA if topic_name in RETRACTABLE and "retracts" in event else filename


@cache
def validator(filename: str) -> Draft202012Validator:
    """The Draft 2020-12 validator (formats checked) of one schema file, e.g. "quote.schema.json"."""
    # Only the schemas built on IPTC's need its files: the others validate anywhere.
    found = registry() if filename in NEEDS_STANDARDS else Registry()
    return Draft202012Validator(load_schema(filename), registry=found, format_checker=FORMAT_CHECKER)


def standards_registry(files: dict[str, Path]) -> Registry[Any]:
    """A registry of official schemas (official id → file), each read as JSON Schema draft 2020-12."""
    resources = [
        (uri, Resource.from_contents(orjson.loads(path.read_bytes()), default_specification=DRAFT202012))
        for uri, path in files.items()
    ]
    return Registry().with_resources(resources)


class StandardsMissing(RuntimeError):
    """The official schemas a contract builds on are not where they were looked for."""


@cache
def registry(folder: Path = DEFAULT_STANDARDS) -> Registry[Any]:
    """The official schemas the project's schemas reference, from `folder` (IPTC's files, unmodified)."""
    files = {uri: folder / name for uri, name in STANDARDS.items()}
    missing = [str(path) for path in files.values() if not path.is_file()]
    if missing:
        raise StandardsMissing(
            f"the enriched-article contract builds on IPTC's official ninjs schema; not found: {', '.join(missing)}"
        )
    return standards_registry(files)


def validate(topic_name: str, event: dict[str, Any]) -> None:
    """Check one decoded event against the schema of `topic_name` (or, on an event topic, a retraction's
    when it has `retracts`); raises ContractError."""
    filename = schema_file(topic_name, event)
    errors = sorted(validator(filename).iter_errors(event), key=lambda e: list(e.absolute_path))
    if errors:
        raise ContractError(topic_name, filename, [f"{e.json_path}: {e.message}" for e in errors])


# Schemas that reference official ones, also written whole (a `bundled/` folder beside a copy of schemas/,
# made by scripts/asyncapi-validate) for the AsyncAPI document: its tools resolve a $ref by fetching the
# URL, not by $id, and the check must run offline.
BUNDLED = NEEDS_STANDARDS


def bundle(schema: dict[str, Any], standards: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`schema` with the official schemas it uses (id → contents) embedded under `$defs`, named after
    their files, and every `$ref` turned into a pointer within the one document."""
    names = {uri: Path(name).stem for uri, name in STANDARDS.items()}

    def pointer(ref: str, within: str | None) -> str:
        target, _, fragment = ref.partition("#")
        name = names[target] if target else within
        return f"#/$defs/{name}{fragment}" if name else ref

    def rewrite(node: Any, within: str | None) -> Any:
        if isinstance(node, list):
            return [rewrite(item, within) for item in node]
        if not isinstance(node, dict):
            return node
        # An embedded schema keeps no $id: its pointers are the bundle's now, not its own resource's.
        dropped = {"$id", "$schema"} if within else set()
        return {
            key: pointer(value, within) if key == "$ref" else rewrite(value, within)
            for key, value in node.items()
            if key not in dropped
        }

    whole = rewrite(schema, None)
    used = {uri: names[uri] for uri in standards}
    whole["$defs"] = {
        **whole.get("$defs", {}),
        **{name: rewrite(standards[uri], name) for uri, name in used.items()},
    }
    return whole


def write_bundles(source: Path, standards_folder: Path = DEFAULT_STANDARDS) -> list[Path]:
    """Write `source`/bundled/ from the schemas in `source` and the official standards in `standards_folder`."""
    standards = {uri: orjson.loads((standards_folder / name).read_bytes()) for uri, name in STANDARDS.items()}
    written = []
    for filename in BUNDLED:
        whole = bundle(orjson.loads((source / filename).read_bytes()), standards)
        path = source / "bundled" / filename
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(orjson.dumps(whole, option=orjson.OPT_INDENT_2) + b"\n")
        written.append(path)
    return written


if __name__ == "__main__":
    # python -m streams.events.contracts SCHEMAS_COPY [STANDARDS_FOLDER]
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_STANDARDS
    for written in write_bundles(Path(sys.argv[1]), folder):
        print(written, file=sys.stderr)
