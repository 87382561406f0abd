"""The local-Kafka launcher is the only Python that runs kafka.sh; the worker-ready wait reads /health/ready."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from streams.kafka import local
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_only_the_launcher_module_names_the_kafka_script() -> None:
    script = "kafka" + ".sh"  # spelt apart so that this file does not match itself
    naming = [
        str(path.relative_to(ROOT))
        for folder in ("streams", "tests", "scripts")
        for path in (ROOT / folder).rglob("*.py")
        if f'"{script}"' in (text := path.read_text()) or f"{script} start" in text
    ]
    assert naming == ["streams/kafka/local.py"]
    assert local.SCRIPT.exists()


def test_ready_url_reaches_a_worker_listening_on_every_interface() -> None:
    assert local.ready_url(Settings(web_port=7001)) == "http://127.0.0.1:7001/health/ready"
    assert (
        local.ready_url(Settings(web_host="0.0.0.0", web_port=7002)) == "http://127.0.0.1:7002/health/ready"
    )
    assert (
        local.ready_url(Settings(web_host="10.1.2.3", web_port=7003)) == "http://10.1.2.3:7003/health/ready"
    )


@pytest.fixture
def health() -> Iterator[tuple[str, list[int]]]:
    """A /health/ready endpoint answering the statuses queued in the list (then the last one again)."""
    statuses = [503]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/health/ready", statuses
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def test_wait_ready_returns_once_the_worker_answers_200(
    health: tuple[str, list[int]], sleeper: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    url, statuses = health
    statuses[:] = [503, 503, 200]
    local.wait_ready(url, sleeper, tmp_path / "worker.log", timeout=10, poll=0.05)
    assert statuses == [200]


def test_wait_ready_gives_up_with_the_log_tail(
    health: tuple[str, list[int]], sleeper: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    log.write_text("loading the NLP models\n")
    with pytest.raises(local.WorkerNotReady, match=r"worker not ready after 0s:\nloading the NLP models"):
        local.wait_ready(health[0], sleeper, log, timeout=0.2, poll=0.05)


def test_wait_ready_stops_when_the_worker_exits(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait()
    # A RuntimeError, as the tests' Worker.start always raised: "worker exited" or "worker not ready".
    with pytest.raises(RuntimeError, match=r"worker exited with 3"):
        local.wait_ready("http://127.0.0.1:9/health/ready", proc, tmp_path / "none.log", timeout=5)


def test_free_port_pair_leaves_the_controller_port_free() -> None:
    import socket

    port = local.free_port_pair()
    for p in (port, port + 1):
        with socket.socket() as s:
            s.bind(("127.0.0.1", p))


def test_free_port_run_leaves_every_listener_port_free() -> None:
    import socket

    port = local.free_port_run(4)
    for p in range(port, port + 4):
        with socket.socket() as s:
            s.bind(("127.0.0.1", p))


def test_a_tls_broker_gives_each_listener_its_client_settings(tmp_path: Path) -> None:
    (tmp_path / "sasl-password").write_text("generated\n")
    broker = local.LocalKafka(data=tmp_path, port=40000, tls=True)
    ssl = Settings.from_env(broker.client_env("SSL"))
    assert (ssl.bootstrap_servers, ssl.security_protocol) == ("127.0.0.1:40002", "SSL")
    assert ssl.ssl_cafile == str(tmp_path / "tls" / "ca.pem") and ssl.sasl_username == ""
    sasl = Settings.from_env(broker.client_env("SASL_SSL", "PLAIN"))
    assert (sasl.bootstrap_servers, sasl.sasl_mechanism) == ("127.0.0.1:40003", "PLAIN")
    assert (sasl.sasl_username, sasl.sasl_password) == ("newsstreams", "generated")
    assert Settings.from_env(broker.client_env("PLAINTEXT")).bootstrap_servers == "127.0.0.1:40000"
    with pytest.raises(ValueError, match="no SASL_PLAINTEXT listener"):
        broker.client_env("SASL_PLAINTEXT")
    # A password given to the script wins over the generated one; without --tls there is no SSL listener.
    given = local.LocalKafka(data=tmp_path, sasl=True, env={"KAFKA_SASL_PASSWORD": "given"})
    assert given.client_env("SASL_PLAINTEXT")["NEWSSTREAMS_SASL_PASSWORD"] == "given"
    with pytest.raises(ValueError, match="no SSL listener"):
        given.client_env("SSL")
