"""Exposure: beyond loopback the worker's web server and the dashboard need a real token; the dashboard's
open /health never shows broker error text."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from streams.exposure import ExposureRefused, bearer_ok, check_bind, is_loopback, token_problem
from streams.kafka.local import free_port
from streams.settings import Settings
from streams.web.server import create_app, serve
from streams.web.state import DashboardState
from streams.worker.app import run_worker

REAL = secrets.token_hex(24)
# The values deploy/k8s/base/secret.example.yaml and typical examples carry.
PLACEHOLDERS = ["CHANGE-ME-placeholder-not-a-real-token", "my-secret-token-1234", "example-value-abcdefgh"]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "10.1.2.3", "worker.example.org"])
def test_hosts_reachable_from_elsewhere(host: str) -> None:
    assert not is_loopback(host)


def test_what_is_not_a_real_token() -> None:
    assert token_problem("") == "no token is set"
    assert "shorter than 16" in (token_problem("a1b2c3d4e5f6g7h") or "")  # 15 characters
    for placeholder in PLACEHOLDERS:
        assert "placeholder" in (token_problem(placeholder) or ""), placeholder
    assert "distinct" in (token_problem("abababababababababab") or "")
    assert token_problem(REAL) is None and token_problem(secrets.token_urlsafe(16)) is None


def test_a_bind_beyond_loopback_needs_a_real_token() -> None:
    check_bind("x", "127.0.0.1", "", "NEWSSTREAMS_WEB_TOKEN")  # loopback: none needed
    check_bind("x", "0.0.0.0", REAL, "NEWSSTREAMS_WEB_TOKEN")
    for token in ["", "short", *PLACEHOLDERS]:
        with pytest.raises(
            ExposureRefused, match=r"refusing to serve x on 0\.0\.0\.0.*NEWSSTREAMS_WEB_TOKEN"
        ):
            check_bind("x", "0.0.0.0", token, "NEWSSTREAMS_WEB_TOKEN")
    with pytest.raises(ExposureRefused, match="every interface"):
        check_bind("x", "", "", "NEWSSTREAMS_WEB_TOKEN")


def test_bearer_header_or_query_token() -> None:
    assert bearer_ok({"Authorization": f"Bearer {REAL}"}, {}, REAL)
    assert bearer_ok({}, {"token": REAL}, REAL)
    assert not bearer_ok({"Authorization": "Bearer nope"}, {"token": REAL}, REAL)  # the header decides
    assert not bearer_ok({}, {}, REAL)


def test_the_worker_refuses_to_start_on_every_interface_without_a_token() -> None:
    # Refused before it touches Kafka: nothing listens on this broker port, so reaching it would hang.
    settings = Settings(broker=f"kafka://127.0.0.1:{free_port()}", web_host="0.0.0.0")
    started = time.monotonic()
    with pytest.raises(ExposureRefused, match=r"worker's web server.*NEWSSTREAMS_WEB_TOKEN"):
        run_worker(settings)
    assert time.monotonic() - started < 5
    placeholder = Settings(broker=settings.broker, web_host="0.0.0.0", web_token=PLACEHOLDERS[0])
    with pytest.raises(ExposureRefused, match="placeholder"):
        run_worker(placeholder)


@pytest.mark.asyncio
async def test_the_dashboard_refuses_every_interface_without_a_real_token() -> None:
    for token in ["", PLACEHOLDERS[0]]:
        with pytest.raises(ExposureRefused, match=r"dashboard.*NEWSSTREAMS_DASHBOARD_TOKEN"):
            await serve(Settings(dashboard_host="0.0.0.0", dashboard_token=token), consume_kafka=False)
    served = await serve(
        Settings(dashboard_host="0.0.0.0", dashboard_token=REAL, dashboard_port=0), consume_kafka=False
    )
    try:
        assert served.url.startswith("http://0.0.0.0:")
    finally:
        await served.stop()


@pytest.mark.asyncio
async def test_open_health_says_broker_unreachable_never_the_error(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()  # nothing listens there
    settings = Settings(broker=f"kafka://127.0.0.1:{port}", dashboard_token=REAL)
    app = create_app(settings, DashboardState(), consume_kafka=True)
    async with TestClient(TestServer(app)) as client:
        body: dict[str, Any] = {}
        for _ in range(300):
            response = await client.get("/health")  # no token: /health is open
            body = await response.json()
            if body["kafka"]["status"] != "starting":
                break
            await asyncio.sleep(0.1)
        text = await response.text()
    assert response.status == 200 and body["kafka"]["status"] == "broker unreachable", body
    assert str(port) not in text and "bootstrap" not in text.lower()
    # The reason is still there for the operator: in the log.
    assert str(port) in caplog.text
