"""Shared fixtures: the seed article, the spaCy model from settings, and (in tests/integration) Kafka."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# The real-broker fixtures, shared by every tier (one broker per test session).
pytest_plugins = ("tests.kafka_fixtures",)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seed"


@pytest.fixture(scope="session")
def seed_raw_bytes() -> bytes:
    return (SEED / "raw-event.json").read_bytes()


@pytest.fixture(scope="session")
def seed_expected() -> dict[str, Any]:
    return json.loads((SEED / "expected.json").read_text())


@pytest.fixture(scope="session")
def nlp() -> Any:
    """The real spaCy pipeline named in settings, loaded once for the whole session."""
    from streams.enrichment.nlp import load_model
    from streams.settings import Settings

    return load_model(Settings.from_env().model)
