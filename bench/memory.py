"""Peak resident memory of a running stack: the sum over all its processes (workers included)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


class PeakRSS:
    """Samples the resident memory of a stack's process groups twice a second while in use."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.groups: set[int] = set()
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def peak_mb(self) -> float:
        return round(self.peak_kb / 1024, 1)

    def watch(self, stack) -> None:
        """Count every process in the stack's process groups (each server starts its own session)."""
        self.groups |= {proc.pid for proc in stack.procs.values()}
        self.sample()

    def sample(self) -> None:
        self.peak_kb = max(self.peak_kb, sum(_rss_kb(pid) for pid in _pids_in_groups(self.groups)))

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.groups:
                self.sample()


def _pids_in_groups(groups: set[int]) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in groups:  # field 5 of /proc/PID/stat, the process group
            pids.append(int(stat.parent.name))
    return pids


def _rss_kb(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0
