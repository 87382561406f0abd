"""A worker on a SASL/SCRAM broker: articles go through with the right password, nothing works with a
wrong one, and the password never shows in the worker's log or in repr(Settings)."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path
from typing import Any

import pytest

from streams.kafka.clients import client_options
from streams.settings import Settings
from tests.reliability.articles import good_messages
from tests.reliability.checker import Reader, check_complete, send_all
from tests.reliability.conftest import report, worker_on

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.asyncio]

USER = "newsstreams-test"


def _client(settings: Settings) -> dict[str, Any]:
    """The project's own aiokafka security options, without the bootstrap list the helpers take apart."""
    options = client_options(settings)
    options.pop("bootstrap_servers")
    return options


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256"])
async def test_scram_worker_processes_articles_and_never_shows_the_password(
    own_broker: Any, namespace: str, worker_env: dict[str, str], tmp_path: Path, mechanism: str
) -> None:
    password = "pw-" + secrets.token_hex(12)
    broker = own_broker(sasl=True, env={"KAFKA_SASL_USERNAME": USER, "KAFKA_SASL_PASSWORD": password})
    env = {
        **worker_env,
        "NEWSSTREAMS_BROKER": f"kafka://{broker.bootstrap}",
        "NEWSSTREAMS_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "NEWSSTREAMS_SASL_MECHANISM": mechanism,
        "NEWSSTREAMS_SASL_USERNAME": USER,
        "NEWSSTREAMS_SASL_PASSWORD": password,
    }
    settings = Settings.from_env(env)
    assert password not in repr(settings)
    client = _client(settings)

    # A wrong password: the worker never becomes ready, and says why (without either password).
    wrong = "pw-" + secrets.token_hex(12)
    refused = worker_on({**env, "NEWSSTREAMS_SASL_PASSWORD": wrong}, tmp_path / "wrong.log")
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"worker (exited|not ready)"):
        await asyncio.to_thread(refused.start, 60.0)
    refused_after = time.monotonic() - started
    refused.stop()
    refused_log = refused.log.read_text(errors="replace")
    assert "Authentication failed" in refused_log or "SaslAuthenticationFailed" in refused_log
    assert wrong not in refused_log and password not in refused_log

    # The right password: an article goes all the way through.
    worker = worker_on(env, tmp_path / "worker.log")
    await asyncio.to_thread(worker.start)
    messages = good_messages("sasl", 5)
    good = {k.decode() for k, _ in messages}
    try:
        await send_all(broker.bootstrap, f"{namespace}news.articles.raw", messages, **client)
        async with Reader(broker.bootstrap, namespace, **client) as reader:
            complete = await reader.until(lambda o: o.complete(good), timeout=180)
    finally:
        worker.stop()
    assert complete, f"enriched only {reader.outputs.articles('news.articles.enriched')}"
    figures = check_complete(reader.outputs, good)
    log = worker.log.read_text(errors="replace")
    assert password not in log

    # A client with the wrong password cannot publish either.
    with pytest.raises(Exception, match=r"(?i)authentication|bootstrap"):
        await send_all(
            broker.bootstrap,
            f"{namespace}news.articles.raw",
            messages[:1],
            **{**client, "sasl_plain_password": wrong, "request_timeout_ms": 10_000},
        )
    report(
        f"sasl[{mechanism}]",
        articles_sent=len(messages),
        outputs=figures.outputs,
        duplicates=figures.duplicates,
        wrong_password_refused_after_s=round(refused_after, 1),
        password_in_logs=False,
    )
