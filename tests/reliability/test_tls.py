"""TLS end to end: against the local Kafka in TLS mode (a self-signed CA, keytool-made broker certificate),
over SSL and over SASL_SSL, `topics apply`, `ingest`, a worker that enriches an article, `replay` and
`diff` (and the dashboard's consumer) all connect, verify the broker's certificate and do their work."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from streams.kafka import clients
from streams.kafka.local import LocalKafka, LocalKafkaError, free_port, free_port_run, missing_tools
from streams.settings import Settings
from streams.tools import diff
from tests.kafka_fixtures import ROOT, Worker, _unavailable

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.asyncio]

SAMPLE = ROOT / "samples" / "feed.jsonl"


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """One TLS-mode local broker for the module: PLAINTEXT, SSL and SASL_SSL listeners."""
    if why := missing_tools():
        _unavailable(why)
    broker = LocalKafka(data=tmp_path_factory.mktemp("kafka-tls"), port=free_port_run(4), tls=True)
    try:
        broker.start()
    except (LocalKafkaError, subprocess.TimeoutExpired) as exc:
        _unavailable(str(exc)[-2000:])
    try:
        yield broker
    finally:
        broker.stop()


def _env(broker: LocalKafka, protocol: str, tmp_path: Path) -> dict[str, str]:
    """A client environment of its own namespace, connecting over `protocol` only."""
    namespace = f"t{uuid.uuid4().hex[:10]}."
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSSTREAMS_")}
    return {
        **env,
        **broker.client_env(protocol),
        "NEWSSTREAMS_TOPIC_PREFIX": namespace,
        "NEWSSTREAMS_APP_ID": f"{namespace}newsstreams",
        "NEWSSTREAMS_DATA_DIR": str(tmp_path / "worker-data"),
        "NEWSSTREAMS_WEB_PORT": str(free_port()),
        "NEWSSTREAMS_BATCH_WITHIN": "0.2",
        "NEWSSTREAMS_WEB_TOKEN": secrets.token_hex(24),
        "PYTHONUNBUFFERED": "1",
    }


def _get(url: str, token: str = "") -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def _check_metrics(settings: Settings) -> None:
    """On the running worker (riding on this module's one worker per protocol, to save a start): its
    /metrics answers only the token, and reports lag for stream partitions, never a changelog's."""
    url = f"http://127.0.0.1:{settings.web_port}/metrics"
    assert _get(url)[0] == 401 and _get(url, "wrong-token-" + "x" * 20)[0] == 401
    status, text = _get(url, settings.web_token)
    assert status == 200
    lag_topics = set(re.findall(r'newsstreams_consumer_lag\{partition="\d+",topic="([^"]+)"\}', text))
    assert settings.topic("news.articles.raw") in lag_topics, text[-2000:]
    assert not {t for t in lag_topics if t.endswith("-changelog")}, lag_topics


def _cli(env: dict[str, str], *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "streams.tools.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, (
        f"newsstreams {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    )
    return done


async def _until_enriched(settings: Settings, article: str, timeout: float = 180) -> dict[str, list[dict]]:
    deadline = time.monotonic() + timeout
    while True:
        live = await diff.read_topics(settings, "")
        if any(e.get("article_id") == article for e in live["news.articles.enriched"]):
            return live
        assert time.monotonic() < deadline, f"{article} not enriched after {timeout:.0f}s"
        await asyncio.sleep(1.0)


@pytest.mark.parametrize("protocol", ["SSL", "SASL_SSL"])
async def test_tools_and_worker_run_over_tls(tls_broker: LocalKafka, protocol: str, tmp_path: Path) -> None:
    env = _env(tls_broker, protocol, tmp_path)
    settings = Settings.from_env(env)
    assert settings.security_protocol == protocol and settings.ssl_cafile == str(tls_broker.ca_file)
    article = orjson.loads(SAMPLE.read_bytes().splitlines()[0])
    feed = tmp_path / "one.jsonl"
    feed.write_bytes(orjson.dumps(article) + b"\n")
    timings: dict[str, float] = {}

    started = time.monotonic()
    applied = _cli(env, "topics", "apply")
    assert f"{settings.topic('news.articles.raw')}: created" in applied.stdout, applied.stdout
    _cli(env, "ingest", "--quiet", str(feed))
    timings["apply+ingest"] = time.monotonic() - started

    started = time.monotonic()
    worker = Worker(env=env, log=tmp_path / "worker.log")
    try:
        await asyncio.to_thread(worker.start, 180.0)
        live = await _until_enriched(settings, article["id"])
        await asyncio.to_thread(_check_metrics, settings)
    finally:
        worker.stop()
    timings["worker"] = time.monotonic() - started
    assert live["news.entities"], "the enriched article named no entity"

    started = time.monotonic()
    replayed = _cli(env, "replay", "--suffix", ".tls", "--quiet")
    compared = _cli(env, "diff", "kafka:", "kafka:.tls")
    timings["replay+diff"] = time.monotonic() - started
    assert replayed.stdout.startswith("replayed 1 raw message(s)"), replayed.stdout
    assert compared.stdout.strip().endswith("0 change(s)"), compared.stdout
    side = await diff.read_topics(settings, ".tls")
    assert [e["article_id"] for e in side["news.articles.enriched"]] == [article["id"]]
    print(f"\n[tls] {protocol}: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))


async def _list_topics(settings: Settings) -> list[str]:
    admin = clients.admin(settings)
    try:
        await asyncio.wait_for(admin.start(), 60)
        return list(await admin.list_topics())
    finally:
        await admin.close()


async def test_a_client_that_does_not_trust_the_local_ca_is_refused(
    tls_broker: LocalKafka, caplog: pytest.LogCaptureFixture
) -> None:
    # Without the CA file the system's CAs are used: the broker's certificate must not verify, so the
    # tests above really checked it. The same listener answers a client that trusts the CA.
    trusting = Settings.from_env(tls_broker.client_env("SSL"))
    assert isinstance(await _list_topics(trusting), list)
    untrusting = Settings.from_env({**tls_broker.client_env("SSL"), "NEWSSTREAMS_SSL_CAFILE": ""})
    with pytest.raises(Exception, match=r"(?i)bootstrap|certificate"):
        await _list_topics(untrusting)
    # aiokafka logs why it could not bootstrap.
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text


async def test_the_dashboard_reads_over_sasl_ssl(tls_broker: LocalKafka, tmp_path: Path) -> None:
    from streams.web.server import serve

    settings = Settings.from_env(_env(tls_broker, "SASL_SSL", tmp_path), dashboard_port=0)
    served = await serve(settings)
    try:
        status = ""
        for _ in range(300):
            status = (await asyncio.to_thread(_get, served.url + "health"))[1]
            if '"consuming"' in status:
                break
            await asyncio.sleep(0.1)
    finally:
        await served.stop()
    assert '"status":"consuming"' in status.replace(" ", ""), status
