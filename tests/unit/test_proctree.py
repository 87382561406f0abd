"""Memory and CPU of a process tree, as the bench measures workers whose NLP may run in children."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from streams.tools import proctree

MB = 1024 * 1024

# A child that holds 200 MB of its own pages (written, so they are resident), then a grandchild of it.
HOLDER = """
import subprocess, sys, time
held = bytearray(200 * 1024 * 1024)
for i in range(0, len(held), 4096):
    held[i] = 1
sub = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
print("ready", flush=True)
time.sleep(30)
"""


def test_a_tree_is_the_process_and_its_descendants_and_its_pss_counts_their_own_pages() -> None:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(0.2)
        pids = proctree.tree(proc.pid)
        assert pids[0] == proc.pid
        assert len(pids) == 2  # the holder and its sleeping child
        # The holder's 200 MB are its own: its tree's PSS holds them, and a second interpreter on top.
        tree = proctree.tree_pss_bytes(proc.pid)
        assert 200 * MB < tree < 300 * MB
        assert tree > proctree.pss_bytes(proc.pid)
        with proctree.PeakTreePss([proc.pid], interval=0.05) as peak:
            time.sleep(0.2)
        assert peak.peaks_mb()[0] >= 200
        assert proctree.tree_cpu_seconds(proc.pid) >= proctree.cpu_seconds(proc.pid) > 0
    finally:
        for pid in reversed(proctree.tree(proc.pid)):
            os.kill(pid, 9)
        proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]


def test_a_gone_process_has_no_memory_and_no_children() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert proctree.pss_bytes(proc.pid) == 0
    assert proctree.children(proc.pid) == []
