"""Shared fixtures: the seed article, the spaCy model from settings, and (in tests/integration) Kafka.

Tests that read `../shared` (the seed's expected.json, the evaluation corpora, the official standards) are
the `shared` tier: marked automatically when they use the `shared_dir` or `seed_expected` fixture, or by
hand with `@pytest.mark.shared`. CI runs them (the folder sits beside its clone); elsewhere, without
`../shared`, they skip with the reason. The rest of the suite needs nothing outside the repository.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.events.records import Byline, CleanArticle

# The real-broker fixtures, shared by every tier (one broker per test session).
pytest_plugins = ("tests.kafka_fixtures",)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seed"
# The seed's raw event is the sample feed's first line (tests/deploy/test_samples.py checks it against the
# seed itself, in the shared tier), so the core tests have it without ../shared.
SAMPLE_FEED = ROOT / "samples" / "feed.jsonl"
SHARED_FIXTURES = {"shared_dir", "seed_expected"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if SHARED_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.shared)
    if SHARED.is_dir() or os.environ.get("CI", "").lower() == "true":
        return  # under CI a missing ../shared fails the tests that need it, loudly
    skip = pytest.mark.skip(reason=f"needs {SHARED} (the seed's expected output, eval corpora, standards)")
    for item in items:
        if item.get_closest_marker("shared"):
            item.add_marker(skip)


def raw_article(body: str, **fields: Any) -> bytes:
    """A plain-text RawArticle's bytes; `fields` add to or replace id, source and content type."""
    data = {"id": "a1", "source": "example.com", "content_type": "text/plain", "body": body, **fields}
    return orjson.dumps(data)


def clean_article(
    *paragraphs: str,
    headline: str | None = None,
    standfirst: str | None = None,
    byline: str = "",
    source: str = "test",
) -> CleanArticle:
    """A CleanArticle as the clean stage would hand it on, built straight from its paragraphs."""
    return CleanArticle(
        event_id="e",
        article_id="a",
        version=1,
        source=source,
        content_type="text/plain",
        content_hash="h",
        paragraphs=list(paragraphs),
        headline=headline,
        standfirst=standfirst,
        byline=[Byline(name=byline)] if byline else [],
    )


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` beside the repository (the `shared` tier only)."""
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the shared tier needs it", pytrace=False)
    return SHARED


def seed_raw_line() -> bytes:
    return SAMPLE_FEED.read_bytes().split(b"\n", 1)[0]


@pytest.fixture(scope="session")
def seed_raw_bytes() -> bytes:
    return seed_raw_line()


@pytest.fixture(scope="session")
def seed_expected(shared_dir: Path) -> dict[str, Any]:
    return json.loads((shared_dir / "seed" / "expected.json").read_text())


@pytest.fixture(scope="session")
def nlp() -> Any:
    """The real spaCy pipeline named in settings, loaded once for the whole session."""
    from streams.enrichment.nlp import load_model
    from streams.settings import Settings

    return load_model(Settings.from_env().model)
