"""A topic model trained with `newsstreams train-topics` is the one a worker uses when settings name it."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streams.tools.cli import main
from tests.integration.conftest import Broker, Worker
from tests.integration.kafka_io import consume_until, produce, values

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]

# Two subjects the shipped default model does not know: a worker using it could never emit them.
ENVIRONMENT, HEALTH = "medtop:06000000", "medtop:07000000"
LINES = [
    ("River levels rose as the drought ended and wetlands recovered their birds and fish.", ENVIRONMENT),
    ("Campaigners planted trees to restore the forest after wildfires and pollution.", ENVIRONMENT),
    ("Recycling rates and carbon emissions dominated the climate summit on the coast.", ENVIRONMENT),
    ("Hospital waiting lists grew as doctors and nurses treated patients with flu.", HEALTH),
    ("A new vaccine cut infections among patients in the clinic, doctors said.", HEALTH),
    ("Nurses warned that hospital wards lacked beds for patients this winter.", HEALTH),
]


@pytest.fixture
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("topics")
    data = folder / "labelled.jsonl"
    data.write_bytes(b"\n".join(orjson.dumps({"text": t, "topics": [c]}) for t, c in LINES) + b"\n")
    out = folder / "model"
    assert main(["train-topics", str(data), "--out", str(out), "--epochs", "20"]) == 0
    return out


@pytest.fixture
def worker_env(worker_env: dict[str, str], tiny_model: Path) -> dict[str, str]:
    return {**worker_env, "NEWSSTREAMS_TOPIC_MODEL": str(tiny_model)}


async def test_worker_uses_the_trained_topic_model(kafka: Broker, worker: Worker, namespace: str) -> None:
    article = {
        "id": "clinic-1",
        "source": "tiny.example",
        "content_type": "text/plain",
        "headline": "Hospital wards full as flu spreads",
        "body": "Doctors and nurses at the city hospital treated hundreds of patients with flu this week.\n\n"
        "The clinic asked patients to get the vaccine, and nurses said wards had no free beds left.",
    }
    await produce(kafka.bootstrap, f"{namespace}news.articles.raw", [(b"clinic-1", orjson.dumps(article))])
    topic = f"{namespace}news.topics"
    records = await consume_until(kafka.bootstrap, [topic], lambda rs: bool(values(rs, topic)), timeout=120)
    best = min(values(records, topic), key=lambda t: t["rank"])
    assert best["topic"] == HEALTH
    assert best["label"] == "health"
