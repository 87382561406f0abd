"""The stop deadline's thread: it ends a process still running at the deadline, and holds up none that ends first."""

from __future__ import annotations

import subprocess
import sys
import time

SCRIPT = (
    "import logging, sys, time\n"
    "from streams.worker.app import exit_after\n"
    "logging.basicConfig()\n"
    "exit_after(float(sys.argv[1]), 'SIGTERM')\n"
    "time.sleep(float(sys.argv[2]))\n"
)


def _run(deadline: float, runs_for: float) -> tuple[int, float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(deadline), str(runs_for)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, time.monotonic() - started, done.stderr


def test_a_process_still_running_at_its_deadline_exits_with_status_1_and_says_why() -> None:
    status, took, stderr = _run(1.0, 30.0)
    assert status == 1 and took < 15  # 30 s of sleep cut short (the interpreter's start included)
    assert "still stopping 1 s after SIGTERM: exiting without a clean stop" in stderr


def test_a_process_that_ends_first_is_not_held_up() -> None:
    status, took, stderr = _run(30.0, 0.0)
    assert status == 0 and took < 15 and "exiting" not in stderr
