"""Peak resident memory and CPU time of running stacks: for each, the sum over all its processes (workers included)."""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
TICKS = os.sysconf("SC_CLK_TCK")


class PeakRSS:
    """One sampler for several stacks: reads /proc twice a second while in use, once for all of them."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.groups: dict[str, set[int]] = defaultdict(set)
        self.peak_kb: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def peak_mb(self, key: str) -> float:
        return round(self.peak_kb[key] / 1024, 1)

    def watch(self, key: str, stack) -> None:
        """Count every process in the stack's process groups (each server starts its own session) under `key`."""
        with self._lock:
            self.groups[key] |= {proc.pid for proc in stack.procs.values()}
        self.sample()

    def cpu_seconds(self, key: str) -> float:
        """CPU time (user and system) used so far by the processes under `key` that are still running."""
        by_group = _pids_by_group()
        with self._lock:
            groups = set(self.groups.get(key, ()))
        return sum(_cpu_seconds(pid) for group in groups for pid in by_group.get(group, ()))

    def sample(self) -> None:
        by_group = _pids_by_group()
        with self._lock:
            for key, groups in self.groups.items():
                total = sum(_rss_kb(pid) for group in groups for pid in by_group.get(group, ()))
                self.peak_kb[key] = max(self.peak_kb[key], total)

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


def _pids_by_group() -> dict[int, list[int]]:
    groups = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        groups[int(fields[2])].append(int(stat.parent.name))  # field 5 of /proc/PID/stat, the process group
    return groups


def _rss_kb(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime and stime, fields 14 and 15
    except (OSError, IndexError, ValueError):
        return 0.0
