"""`newsstreams demo` supervises what it starts: when its worker dies, it stops everything, broker included."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from streams.kafka.local import free_port, free_port_pair
from tests.kafka_fixtures import ROOT

pytestmark = [pytest.mark.kafka]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait_for(log: Path, pattern: str, proc: subprocess.Popen[bytes], timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if match := re.search(pattern, log.read_text(errors="replace")):
            return match
        assert proc.poll() is None, f"the demo exited early:\n{log.read_text()[-3000:]}"
        time.sleep(0.5)
    raise AssertionError(f"no {pattern!r} after {timeout}s:\n{log.read_text()[-3000:]}")


def _start_demo(tmp_path: Path, port: int) -> tuple[subprocess.Popen[bytes], Path]:
    """The demo, started as a shell would start it in the background (SIGINT ignored), in its own session."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSSTREAMS_")}
    env.update(
        NEWSSTREAMS_WEB_PORT=str(free_port()),
        NEWSSTREAMS_DASHBOARD_PORT=str(free_port()),
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "demo.log"

    def ignore_sigint() -> None:
        # As a shell starting it in the background would: the demo must not depend on Ctrl-C working.
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    with log.open("wb") as out:
        demo = subprocess.Popen(
            [sys.executable, "-m", "streams.tools.cli", "demo", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=ignore_sigint,
            start_new_session=True,
        )
    return demo, log


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_killing_the_worker_stops_the_demo_and_its_broker(tmp_path: Path) -> None:
    port = free_port_pair()
    demo, log = _start_demo(tmp_path, port)
    try:
        worker_pid = int(_wait_for(log, r"worker\s+started \(pid (\d+)", demo, 300).group(1))
        _wait_for(log, r"showing events", demo, 300)
        assert _listening(port)
        os.kill(worker_pid, signal.SIGKILL)
        started = time.monotonic()
        demo.wait(15)
        assert time.monotonic() - started <= 15
        assert demo.returncode == 1
        assert "the worker exited" in log.read_text()
        assert not _listening(port), "the demo left its Kafka broker running"
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)


def test_a_second_stop_signal_while_stopping_still_stops_the_worker_and_the_broker(tmp_path: Path) -> None:
    port = free_port_pair()
    demo, log = _start_demo(tmp_path, port)
    try:
        worker_pid = int(_wait_for(log, r"worker\s+started \(pid (\d+)", demo, 300).group(1))
        _wait_for(log, r"showing events", demo, 300)
        demo.send_signal(signal.SIGTERM)
        time.sleep(1.0)  # the demo is now stopping its children
        demo.send_signal(signal.SIGINT)
        demo.wait(60)
        assert "stopped" in log.read_text()
        assert not _alive(worker_pid), "the demo left its worker running"
        assert not _listening(port), "the demo left its Kafka broker running"
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
