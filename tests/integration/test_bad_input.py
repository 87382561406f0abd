"""Every kind of bad input ends on news.deadletter with its reason and original bytes; good input after it
is still cleaned (through the real broker and a worker subprocess)."""

from __future__ import annotations

import base64

import orjson
import pytest

from tests.conftest import raw_article
from tests.integration.conftest import Broker, Worker
from tests.integration.kafka_io import consume_until, produce, values

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]

FRENCH = (
    "Le conseil municipal a voté mardi soir un budget de reconstruction pour le port, après des mois de "
    "débats sur le coût des travaux et sur la protection des quartiers les plus exposés aux tempêtes."
)


def _raw(body: str, **fields: object) -> bytes:
    return raw_article(body, **{"id": "bad", "source": "bad.example", **fields})


# (case, message bytes, reason); the worker under test has a 200 kB body limit.
BAD = [
    ("malformed_json", b'{"id": "bad", "source": ', "malformed_json"),
    ("not_an_object", b"[1, 2, 3]", "not_an_object"),
    (
        "missing_body",
        orjson.dumps({"id": "bad", "source": "s", "content_type": "text/plain"}),
        "missing_field",
    ),
    ("wrong_type", _raw("x").replace(b'"body":"x"', b'"body":42'), "wrong_type"),
    ("empty_body", _raw("  \n\n "), "empty_body"),
    ("invalid_utf8", b'{"id": "bad\xff\xfe", "source": "s"}', "not_utf8"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    ("too_large", _raw("word " * 60_000), "too_large"),
    (
        "html_without_text",
        _raw("<html><body><nav>Home</nav><script>x()</script></body></html>", content_type="text/html"),
        "no_text",
    ),
    ("unsupported_type", _raw("text", content_type="application/pdf"), "unsupported_content_type"),
    ("french", _raw(FRENCH), "unsupported_language"),
]


@pytest.fixture
def worker_env(worker_env: dict[str, str]) -> dict[str, str]:
    return {**worker_env, "NEWSSTREAMS_MAX_BODY_BYTES": "200000"}


async def test_each_bad_input_is_dead_lettered_and_the_next_good_one_cleaned(
    kafka: Broker, worker: Worker, namespace: str, seed_raw_bytes: bytes
) -> None:
    seed = orjson.loads(seed_raw_bytes)
    messages: list[tuple[bytes | None, bytes]] = []
    for case, value, _ in BAD:
        messages.append((f"bad-{case}".encode(), value))
        good = {**seed, "id": f"good-after-{case}"}
        messages.append((good["id"].encode(), orjson.dumps(good)))
    await produce(kafka.bootstrap, f"{namespace}news.articles.raw", messages)

    clean_topic, dead_topic = f"{namespace}news.articles.clean", f"{namespace}news.deadletter"
    records = await consume_until(
        kafka.bootstrap,
        [clean_topic, dead_topic],
        lambda rs: len(values(rs, clean_topic)) >= len(BAD) and len(values(rs, dead_topic)) >= len(BAD),
        timeout=120,
    )
    dead = {d["original_key"]: d for d in values(records, dead_topic)}
    for case, value, reason in BAD:
        letter = dead[f"bad-{case}"]
        assert letter["reason"] == reason, case
        original = letter["original_value"]
        restored = (
            base64.b64decode(original) if letter["original_encoding"] == "base64" else original.encode()
        )
        assert restored == value, case
        assert letter["original_topic"] == f"{namespace}news.articles.raw"
    cleaned = {c["article_id"] for c in values(records, clean_topic)}
    assert cleaned == {f"good-after-{case}" for case, _, _ in BAD}
