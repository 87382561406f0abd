"""One real Apache Kafka broker for every test tier that needs one, and worker subprocesses on it.

Registered for the whole suite by tests/conftest.py, so integration, browser and reliability tests
share the same session broker.

The broker comes from, in order: KAFKA_BOOTSTRAP_SERVERS; a testcontainers Kafka when a Docker engine
answers; the project's local Kafka (streams.kafka.local: Maven Central jars, Java 17). Under CI=true a
test that needs Kafka fails when none can be had; it never skips.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from streams.kafka import local
from streams.kafka.local import free_port, free_port_pair
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
# Re-exported by tests/integration/conftest.py; Python code starts the script only through streams.kafka.local.
KAFKA_SCRIPT = local.SCRIPT


@dataclass
class Broker:
    bootstrap: str
    origin: str


def _docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _unavailable(why: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"no Kafka broker for integration tests under CI=true: {why}", pytrace=False)
    pytest.skip(f"no Kafka broker (outside CI only; CI=true fails above): {why}")


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """The session's broker (see the module docstring for where it comes from)."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield Broker(os.environ["KAFKA_BOOTSTRAP_SERVERS"], "KAFKA_BOOTSTRAP_SERVERS")
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.0.0").with_kraft() as container:
            yield Broker(container.get_bootstrap_server(), "testcontainers apache/kafka:4.0.0")
        return
    if why := local.missing_tools():
        _unavailable(f"no KAFKA_BOOTSTRAP_SERVERS, no Docker engine, and {why}")
    broker = local.LocalKafka(data=tmp_path_factory.mktemp("kafka"), port=free_port_pair())
    try:
        broker.start()
    except (local.LocalKafkaError, subprocess.TimeoutExpired) as exc:
        _unavailable(str(exc)[-2000:])
    try:
        yield Broker(broker.bootstrap, f"local Kafka ({broker.ready_line})")
    finally:
        broker.stop()


@dataclass
class Worker:
    """A `newsstreams worker` subprocess and the environment it was given."""

    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def start(self, timeout: float = 120.0) -> Worker:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streams.tools.cli", "worker"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
            )
        # Raises WorkerNotReady, a RuntimeError ("worker exited ..." or "worker not ready ...").
        local.wait_ready(local.ready_url(Settings.from_env(self.env)), self.proc, self.log, timeout=timeout)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def namespace() -> str:
    """A topic prefix and app id unique to one test, so tests never see each other's messages."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def worker_env(kafka: Broker, namespace: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSSTREAMS_")}
    env.update(
        NEWSSTREAMS_BROKER=f"kafka://{kafka.bootstrap}",
        NEWSSTREAMS_TOPIC_PREFIX=namespace,
        NEWSSTREAMS_APP_ID=f"{namespace}newsstreams",
        NEWSSTREAMS_DATA_DIR=str(tmp_path / "worker-data"),
        NEWSSTREAMS_WEB_PORT=str(free_port()),
        NEWSSTREAMS_BATCH_WITHIN="0.2",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def worker(worker_env: dict[str, str], tmp_path: Path) -> Iterator[Worker]:
    """A started worker subprocess for this test's namespace; stopped afterwards."""
    w = Worker(env=worker_env, log=tmp_path / "worker.log").start()
    yield w
    w.stop()


def pytest_report_header(config: pytest.Config) -> str:
    return "kafka: integration tests use a real Apache Kafka broker (see tests/integration/conftest.py)"
