"""The project's own Apache Kafka (deploy/local-kafka/kafka.sh) started and stopped, and the worker-ready wait."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# The script stays the one implementation (and the CLI for people); Python code starts it only from here.
SCRIPT = ROOT / "deploy" / "local-kafka" / "kafka.sh"


class LocalKafkaError(RuntimeError):
    """The local broker did not start (the script's last output says why)."""


class WorkerNotReady(RuntimeError):
    """A worker exited, or did not answer ready in time (the message ends with its log's tail)."""


def missing_tools() -> str | None:
    """Why the local broker cannot be had on this machine, or None when it can."""
    if not SCRIPT.exists():
        return f"{SCRIPT} is not there (an installed package has no deploy/ folder)"
    if not shutil.which("java") or not shutil.which("mvn"):
        return "the local Kafka script needs java and mvn"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_run(count: int) -> int:
    """A free port whose `count - 1` next ports are free too (the local broker's controller listens on
    the next one, its TLS listeners on the two after)."""
    for _ in range(50):
        port = free_port()
        if port + count - 1 > 65535:
            continue
        if all(_bindable(port + step) for step in range(1, count)):
            return port
    raise RuntimeError(f"no run of {count} free ports found")


def free_port_pair() -> int:
    """A free port whose next port is free too (the local broker's controller listens there)."""
    return free_port_run(2)


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class LocalKafka:
    """One local single-node broker: its client port (the controller takes the next; with `tls` SSL and
    SASL_SSL listen on the two after) and data folder."""

    data: Path
    port: int = 9092
    sasl: bool = False
    tls: bool = False
    env: dict[str, str] = field(default_factory=dict)  # KAFKA_* for the script (SASL user, heap, version)
    ready_line: str = ""  # what the script said when the broker answered

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        """The self-signed CA that signed a TLS broker's certificate (what its clients trust)."""
        return self.data / "tls" / "ca.pem"

    @property
    def sasl_username(self) -> str:
        return self.env.get("KAFKA_SASL_USERNAME", "newsstreams")

    @property
    def sasl_password(self) -> str:
        """The SASL user's password: the one given to the script, else the one it generated."""
        given = self.env.get("KAFKA_SASL_PASSWORD")
        return given if given else (self.data / "sasl-password").read_text().strip()

    def client_env(self, protocol: str, mechanism: str = "SCRAM-SHA-512") -> dict[str, str]:
        """The NEWSSTREAMS_* settings of a client of this broker over `protocol` (a listener it has)."""
        ports = {"SASL_PLAINTEXT" if self.sasl else "PLAINTEXT": self.port}
        if self.tls:
            ports |= {"SSL": self.port + 2, "SASL_SSL": self.port + 3}
        if protocol not in ports:
            raise ValueError(f"this local broker has no {protocol} listener (it has {', '.join(ports)})")
        env = {"NEWSSTREAMS_BROKER": f"kafka://127.0.0.1:{ports[protocol]}"}
        env["NEWSSTREAMS_SECURITY_PROTOCOL"] = protocol
        if protocol.endswith("SSL"):
            env["NEWSSTREAMS_SSL_CAFILE"] = str(self.ca_file)
        if protocol.startswith("SASL"):
            env |= {
                "NEWSSTREAMS_SASL_MECHANISM": mechanism,
                "NEWSSTREAMS_SASL_USERNAME": self.sasl_username,
                "NEWSSTREAMS_SASL_PASSWORD": self.sasl_password,
            }
        return env

    @property
    def broker(self) -> str:
        """The broker URL for Settings.broker and NEWSSTREAMS_BROKER."""
        return f"kafka://{self.bootstrap}"

    @property
    def pid(self) -> int | None:
        """The broker's process while it runs (the bench measures its CPU)."""
        pidfile = self.data / "kafka.pid"
        return int(pidfile.read_text()) if pidfile.exists() else None

    def _run(self, action: str, timeout: float) -> subprocess.CompletedProcess[str]:
        args = ["bash", str(SCRIPT), action, "--port", str(self.port), "--data", str(self.data)]
        return subprocess.run(
            args + (["--sasl"] if self.sasl else []) + (["--tls"] if self.tls else []),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **self.env},
        )

    def start(self, timeout: float = 900) -> float:
        """Start (formatting storage the first time); seconds until it answered. The generous default
        timeout covers the first start on a machine, which fetches the jars through Maven."""
        started = time.monotonic()
        done = self._run("start", timeout)
        if done.returncode != 0:
            raise LocalKafkaError(f"local Kafka did not start:\n{done.stderr[-3000:]}")
        lines = done.stderr.strip().splitlines()
        self.ready_line = lines[-1] if lines else "started"
        return time.monotonic() - started

    def stop(self, timeout: float = 120) -> None:
        self._run("stop", timeout)


@contextmanager
def running(
    port: int | None = None, *, data: Path | None = None, sasl: bool = False, tls: bool = False
) -> Iterator[LocalKafka]:
    """A local broker for the block, stopped after it: on `port` (else a free run of ports) with its data
    in `data` (else a temporary folder, removed after)."""
    temporary = data is None
    folder = Path(tempfile.mkdtemp(prefix="newsstreams-kafka-")) if data is None else data
    kafka = LocalKafka(data=folder, port=port or free_port_run(4 if tls else 2), sasl=sasl, tls=tls)
    try:
        kafka.start()
        yield kafka
    finally:
        kafka.stop()
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


def ready_url(settings: Settings) -> str:
    """Where a worker with these settings answers readiness (its own web server, streams/worker/health.py)."""
    # A worker listening on every interface is reached on the loopback one.
    host = settings.web_host if settings.web_host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    return f"http://{host}:{settings.web_port}/health/ready"


def wait_ready(
    url: str, proc: subprocess.Popen[bytes], log: Path, *, timeout: float = 180, poll: float = 0.5
) -> None:
    """Until the worker `proc` (writing to `log`) answers 200 on its /health/ready `url`: partitions
    assigned, tables recovered, models loaded. Raises WorkerNotReady if it exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise WorkerNotReady(f"worker exited with {proc.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass  # not listening yet, or 503 (an HTTPError, which is an OSError): not ready yet
        if time.monotonic() > deadline:
            raise WorkerNotReady(f"worker not ready after {timeout:.0f}s:\n{_tail(log)}")
        time.sleep(poll)


def _tail(log: Path, chars: int = 4000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else f"({log} is missing)"
