"""The language-neutral event contracts (JSON Schemas of schemas/) and validation of events by topic."""

from __future__ import annotations

import re
import shutil
import sys
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator, FormatChecker

from streams.events import flow

# The installed package reads its own copy: a wheel does not carry the repository's schemas/ folder.
# schemas/ at the repository root is the source of truth; `python -m streams.events.contracts` refreshes the
# copy and tests/unit/test_contracts.py fails while the two differ.
PACKAGE_SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
REPO_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
COPIED = ("*.schema.json", "asyncapi.yaml")

# Design topic name (without the environment's prefix) → the schema of its values.
SCHEMA_FILES: dict[str, str] = {
    flow.RAW.name: "raw-article.schema.json",
    flow.RAW_BY_SOURCE.name: "raw-article.schema.json",
    flow.CLEAN.name: "clean-article.schema.json",
    flow.ENRICHED.name: "enriched-article.schema.json",
    flow.ENTITIES.name: "entity.schema.json",
    flow.QUOTES.name: "quote.schema.json",
    flow.TOPICS.name: "topic.schema.json",
    flow.PEOPLE_LEARNED.name: "people-learned.schema.json",
    flow.TRENDING.name: "trending.schema.json",
    flow.DEADLETTER.name: "dead-letter.schema.json",
}

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
    """One JSON Schema of the package copy, by file name (e.g. "quote.schema.json")."""
    schema: dict[str, Any] = orjson.loads((PACKAGE_SCHEMAS / filename).read_bytes())
    return schema


@cache
def validator(topic_name: str) -> Draft202012Validator:
    """The Draft 2020-12 validator (formats checked) of a design topic's values."""
    try:
        filename = SCHEMA_FILES[topic_name]
    except KeyError:
        raise KeyError(
            f"no schema for topic {topic_name!r} (give the design name without prefix: "
            f"{', '.join(SCHEMA_FILES)})"
        ) from None
    return Draft202012Validator(load_schema(filename), format_checker=FORMAT_CHECKER)


def validate(topic_name: str, event: dict[str, Any]) -> None:
    """Check one decoded event against the schema of `topic_name` (raises ContractError)."""
    errors = sorted(validator(topic_name).iter_errors(event), key=lambda e: list(e.absolute_path))
    if errors:
        raise ContractError(
            topic_name,
            SCHEMA_FILES[topic_name],
            [f"{e.json_path}: {e.message}" for e in errors],
        )


def sync_package_copy(source: Path = REPO_SCHEMAS, target: Path = PACKAGE_SCHEMAS) -> list[Path]:
    """Copy the schemas and the AsyncAPI document of `source` into the package; returns the copies."""
    if not source.is_dir():
        raise FileNotFoundError(f"{source} not found: run this from a checkout of the repository")
    target.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for pattern in COPIED for p in source.glob(pattern)}
    for stale in target.iterdir():
        if stale.name not in wanted:
            stale.unlink()
    return [Path(shutil.copyfile(path, target / name)) for name, path in sorted(wanted.items())]


if __name__ == "__main__":
    for copied in sync_package_copy():
        print(copied, file=sys.stderr)
