"""bench/memory.py: one sampler measures each stack's own processes, apart from the others'."""

import subprocess
import sys
import time
from types import SimpleNamespace

from bench.memory import PeakRSS


def _stack(*commands):
    """A stand-in for bot.serve.Stack: processes, each leading its own process group, by name."""
    return SimpleNamespace(procs={str(i): subprocess.Popen(c, start_new_session=True) for i, c in enumerate(commands)})


def test_each_stack_gets_the_peak_of_its_own_processes():
    holds_64_mb = [
        sys.executable,
        "-c",
        "import time; b = bytearray(64 << 20); b[::4096] = b'x' * len(b[::4096]); time.sleep(30)",
    ]
    sleeper = ["sleep", "30"]
    big, small = _stack(holds_64_mb, sleeper), _stack(sleeper)
    try:
        time.sleep(1.0)  # the bytearray is written to, so resident
        with PeakRSS(interval=0.1) as rss:
            rss.watch("big", big)
            rss.watch("small", small)
            time.sleep(0.3)
        assert rss.peak_mb("big") > 64 > rss.peak_mb("small") > 0
        assert rss.peak_mb("nobody") == 0
    finally:
        for stack in (big, small):
            for proc in stack.procs.values():
                proc.kill()
                proc.wait()


def test_cpu_time_is_counted_for_the_busy_stack_only():
    spins = [
        sys.executable,
        "-c",
        "import time\nend = time.time() + 0.6\nwhile time.time() < end: pass\ntime.sleep(30)",
    ]
    busy, idle = _stack(spins), _stack(["sleep", "30"])
    try:
        with PeakRSS(interval=0.1) as sampler:
            sampler.watch("busy", busy)
            sampler.watch("idle", idle)
            time.sleep(1.0)  # the spinner uses 0.6 s of CPU, then sleeps
            assert sampler.cpu_seconds("busy") > 0.3
            assert sampler.cpu_seconds("idle") < 0.1
            assert sampler.cpu_seconds("nobody") == 0
    finally:
        for stack in (busy, idle):
            for proc in stack.procs.values():
                proc.kill()
                proc.wait()
