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


def _wait_for(condition, what: str, limit: float = 60.0) -> None:
    """Wait until `condition()` holds (an event, not a duration: `limit` only ends a broken run)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def test_cpu_time_is_counted_for_the_busy_stack_only(tmp_path):
    done = tmp_path / "spun"
    # The spinner burns 0.6 s of its own CPU time (however busy the machine is), says so, then sleeps.
    spins = [
        sys.executable,
        "-c",
        "import sys, time, pathlib\nwhile time.process_time() < 0.6: pass\n"
        "pathlib.Path(sys.argv[1]).write_text('done')\ntime.sleep(30)",
        str(done),
    ]
    busy, idle = _stack(spins), _stack(["sleep", "30"])
    try:
        with PeakRSS(interval=0.1) as sampler:
            sampler.watch("busy", busy)
            sampler.watch("idle", idle)
            _wait_for(done.exists, "the spinner used its CPU time")
            _wait_for(lambda: sampler.cpu_seconds("busy") >= 0.5, "the sampler saw the spinner's CPU time")
            assert sampler.cpu_seconds("idle") < 0.1
            assert sampler.cpu_seconds("nobody") == 0
    finally:
        for stack in (busy, idle):
            for proc in stack.procs.values():
                proc.kill()
                proc.wait()
