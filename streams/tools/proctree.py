"""CPU and memory of a process and all its descendants, read from Linux's /proc (for the bench).

Memory is proportional set size (PSS): each page shared by several processes (a forked child's copy of
the model, say) is split among them, so the sum over a tree counts every page once, where summed RSS would
count shared pages once per process.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

MB = 1024 * 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """Direct children of `pid` (over all its threads)."""
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text()
            out.extend(int(c) for c in text.split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def tree(pid: int) -> list[int]:
    """`pid` and every live descendant."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children(p))
    return found


def pss_bytes(pid: int) -> int:
    """A process's proportional set size; 0 when it has gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def tree_pss_bytes(pid: int) -> int:
    """Summed PSS of `pid` and its live descendants."""
    return sum(pss_bytes(p) for p in tree(pid))


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid` and its live descendants (children that exited and were waited for are in the
    parent's own figure only once Linux adds them, so a tree whose children come and go is undercounted)."""
    total = 0.0
    for p in tree(pid):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += cpu_seconds(p)
    return total


class PeakTreePss:
    """Samples each process tree's summed PSS every `interval` seconds on a thread; `peaks_mb()` gives the
    highest sample per tree. PSS has no high-water mark of its own (unlike VmHWM for RSS), so a short peak
    between samples is missed: the interval is kept small."""

    def __init__(self, pids: list[int], interval: float = 0.25) -> None:
        self.pids = pids
        self.interval = interval
        self._peaks = [0] * len(pids)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        for n, pid in enumerate(self.pids):
            self._peaks[n] = max(self._peaks[n], tree_pss_bytes(pid))

    def __enter__(self) -> PeakTreePss:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def peaks_mb(self) -> list[float]:
        return [round(p / MB, 1) for p in self._peaks]
