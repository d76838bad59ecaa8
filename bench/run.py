"""`make bench`: the assistant under load, against a baseline, in one run on this machine.

    python -m bench.run [--seconds 20] [--levels 1 8 32 128] [--only ours --levels 32]

Variants, each served by `bot.serve.Stack` with the project's action server and REST channel:
- baseline: the same data and domain trained with the configuration `rasa init` writes (Rasa's defaults),
  one server process, in-memory tracker and lock stores, as `rasa init` serves it;
- ours, one process: the tuned model as `make run` serves it (SQLite tracker store);
- ours, scaled on one host as deploy/ runs it: two Rasa servers behind nginx (deploy/compose/nginx.conf),
  the Redis lock store and the PostgreSQL tracker store (deploy/endpoints.scale.yml), with nginx, Redis and
  PostgreSQL started here on loopback.
Ours runs with `bot.serve.TUNED_ENV`. The variants start one after another, each timed from start to ready
while the others sit idle, and all stay up. Then, level by level, Locust runs against each variant in turn,
the order reversed at every other level, so that the figures compared at one level are measured minutes
apart, not a whole run apart: this machine's speed drifts by a tenth over minutes. Peak resident memory is
of each variant's own servers (not nginx, Redis or PostgreSQL). The floor is /model/parse alone on each of
our scaled servers. NLU macro-F1 on tests/nlu for both models.
Only answered turns count (bench/report.py). A level with a failed request is invalid and no claim is made
from it; the run exits with status 1 when a compared level (32 conversations) is invalid.
Writes bench/results.json, docs/performance.md's bench table and docs/bench.png.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench import memory, report
from bot.serve import TUNED_ENV, Stack, free_port
from tests.servers import NginxBalancer, PostgresCluster, RedisServer

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BASELINE_MODEL = ROOT / "build" / "bench" / "baseline.tar.gz"
OUR_MODEL = ROOT / "models" / "assistant.tar.gz"
TOKEN = "bench-token"
# Locust shares the two cores with the servers it measures. Run ahead of them for the CPU (a lower niceness,
# which needs root), so that its own wait for a core is not counted as the assistant's latency.
AHEAD_OF_THE_SERVERS = ["nice", "-n", "-5"] if os.geteuid() == 0 else []


@dataclass
class Variant:
    """One way of serving a model."""

    key: str
    label: str
    model: Path
    endpoints: str
    servers: int = 1  # Rasa servers of one Sanic worker each; more than one are put behind nginx
    services: bool = False  # needs Redis and PostgreSQL
    env: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)


VARIANTS = [
    # Stock Rasa: Stack starts every Rasa server through bot.speedups, switched off here.
    Variant(
        "baseline",
        "Rasa defaults (rasa init config), 1 process",
        BASELINE_MODEL,
        "bench/endpoints.baseline.yml",
        env={"BOT_SPEEDUPS": "0"},
    ),
    Variant("ours_1", "ours, 1 process (as `make run`)", OUR_MODEL, "endpoints.yml", env=TUNED_ENV),
    Variant(
        "ours",
        "ours, 2 Rasa servers behind nginx + Redis lock + PostgreSQL",
        OUR_MODEL,
        "deploy/endpoints.scale.yml",
        servers=2,
        services=True,
        env=TUNED_ENV,
    ),
]


@dataclass
class Served:
    """A variant's running servers and the URL its clients use."""

    stacks: list
    url: str = ""
    balancer: object = None

    def stop(self) -> None:
        if self.balancer:
            self.balancer.stop()
        for stack in self.stacks:
            stack.stop()


def serve(variant: Variant, workdir: Path, extra_env: dict, rss: memory.PeakRSS, served: Served) -> float:
    """Start the variant's servers into `served`; seconds from start until a real turn is answered.

    One action server; one Rasa server, or several behind nginx with the deployment's own site
    (deploy/compose/nginx.conf, least connections), as deploy/ runs them.
    """
    action_port = free_port()
    stacks = served.stacks
    for i in range(variant.servers):
        logs = workdir / f"{variant.key}-{i}"
        logs.mkdir()
        stacks.append(
            Stack(
                free_port(),
                action_port,
                model=str(variant.model),
                token=TOKEN,
                tracker_db=str(workdir / f"{variant.key}.db"),
                endpoints=variant.endpoints,
                log_dir=logs,
                extra_env={"SANIC_WORKERS": "1", **variant.env, **extra_env},
            )
        )
    start = time.monotonic()
    stacks[0].start_actions()
    for stack in stacks:
        stack.start_rasa()
        rss.watch(variant.key, stack)
    for stack in stacks:
        stack.wait_ready(timeout=600)
    served.url = stacks[0].rasa_url
    if len(stacks) > 1:
        addresses = [f"127.0.0.1:{stack.rasa_port}" for stack in stacks]
        served.balancer = NginxBalancer(addresses, channels=addresses[0]).start()
        served.url = served.balancer.url
    while True:
        try:
            reply = requests.post(
                f"{served.url}/webhooks/rest/webhook", json={"sender": "bench-ready", "message": "hi"}, timeout=30
            )
            if reply.ok and reply.json():
                return time.monotonic() - start
        except requests.RequestException:
            pass
        time.sleep(0.2)


def locust(user_class: str, url: str, users: int, seconds: int, workdir: Path, name: str = "turn", **env: str) -> dict:
    """Run Locust headless; the figures of the requests recorded as `name` (answered) and `name failed`."""
    prefix = workdir / f"{user_class}-{users}-{time.monotonic_ns()}"
    done = subprocess.run(
        [
            *AHEAD_OF_THE_SERVERS,
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--reset-stats",
            "--only-summary",
            "--host",
            url,
            "--csv",
            str(prefix),
            "--loglevel",
            "ERROR",
            "--exit-code-on-error",
            "0",
            user_class,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "BENCH_TOKEN": TOKEN, **env},
        capture_output=True,  # Locust prints its own summary; ours is shorter
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"locust failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return report.read_locust_csv(Path(f"{prefix}_stats.csv"), name)


def nlu_macro_f1(model: Path, workdir: Path) -> float:
    """Intent macro-F1 on the held-out tests/nlu examples, from Rasa's intent report."""
    out = workdir / f"nlu-{model.stem}"
    subprocess.run(
        [str(BIN / "rasa"), "test", "nlu", "--model", str(model), "--nlu", "tests/nlu", "--out", str(out)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return json.loads((out / "intent_report.json").read_text())["macro avg"]["f1-score"]


def start_all(variants: list[Variant], workdir: Path, services_env: dict, served: dict, rss: memory.PeakRSS) -> None:
    """Start each variant in turn into `served`, timing its start to ready while the others sit idle."""
    for variant in variants:
        served[variant.key] = Served([])
        env = services_env if variant.services else {}
        variant.results["ready_s"] = serve(variant, workdir, env, rss, served[variant.key])
        print(f"{variant.key}: ready in {variant.results['ready_s']:.1f} s", flush=True)


def measure(
    variants: list[Variant], levels: list[int], seconds: int, workdir: Path, served: dict, rss: memory.PeakRSS
) -> None:
    """Conversations at each level against every variant, level by level, alternating the order.

    Each level also records how many cores the variant's own servers kept busy, and its answered rate per core.
    """
    for index, users in enumerate(levels):
        for variant in variants if index % 2 == 0 else variants[::-1]:
            cpu, started = rss.cpu_seconds(variant.key), time.monotonic()
            figures = locust("ConversationUser", served[variant.key].url, users, seconds, workdir)
            cores = (rss.cpu_seconds(variant.key) - cpu) / (time.monotonic() - started)
            figures["cores_busy"] = round(cores, 2)
            figures["rps_per_core"] = round(figures["rps"] / cores, 1) if cores > 0 else None
            variant.results.setdefault("turn", {})[str(users)] = figures
            print(f"{variant.key}: {users:>3} conversations {report.line(figures)}", flush=True)
    for variant in variants:  # the report reads the levels in order
        variant.results["turn"] = {str(users): variant.results["turn"][str(users)] for users in levels}


def measure_floor(variant: Variant, levels: list[int], seconds: int, workdir: Path, served: Served) -> None:
    """/model/parse alone; it is not public behind nginx, so each simulated user asks one Rasa server directly."""
    servers = " ".join(stack.rasa_url for stack in served.stacks)
    for users in levels:
        figures = locust("ParseUser", served.url, users, seconds, workdir, "parse", BENCH_PARSE_SERVERS=servers)
        variant.results.setdefault("parse", {})[str(users)] = figures
        print(f"{variant.key}: {users:>3} x /model/parse {report.line(figures)}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=20, help="measured seconds per concurrency level")
    ap.add_argument("--levels", type=int, nargs="+", default=[1, 8, 32, 128])
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite docs/performance.md's bench section")
    ap.add_argument(
        "--only",
        nargs="+",
        choices=[v.key for v in VARIANTS],
        help="a trial of some variants: no NLU scores, no docs",
    )
    args = ap.parse_args()
    variants = [v for v in VARIANTS if not args.only or v.key in args.only]
    for variant in variants:
        if not variant.model.exists():
            sys.exit(f"missing {variant.model.relative_to(ROOT)}: run `make bench`, which trains it")

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    postgres, redis = PostgresCluster(db="assistant_bench"), RedisServer()
    try:
        postgres.start()
        redis.start()
        services_env = {**postgres.env(), **redis.env()}
        f1 = {} if args.only else {model: nlu_macro_f1(model, workdir) for model in {v.model for v in variants}}
        for variant in variants:
            variant.results["nlu_macro_f1"] = f1.get(variant.model)
        served = {}
        with memory.PeakRSS() as rss:
            try:
                start_all(variants, workdir, services_env, served, rss)
                measure(variants, args.levels, args.seconds, workdir, served, rss)
                for variant in (v for v in variants if v.key == "ours"):
                    measure_floor(variant, args.levels, args.seconds, workdir, served[variant.key])
            finally:
                for each in served.values():
                    each.stop()
        for variant in variants:
            variant.results["peak_rss_mb"] = rss.peak_mb(variant.key)
    finally:
        redis.stop()
        postgres.remove()

    results = {
        "machine": report.machine(),
        "seconds_per_level": args.seconds,
        "load_generator": "ahead of the servers for the CPU (nice -5)" if AHEAD_OF_THE_SERVERS else "at their priority",
        "levels": args.levels,
        "variants": {v.key: {"label": v.label, **v.results} for v in variants},
    }
    if args.only:
        print(json.dumps(results["variants"], indent=1))
        return 0
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    report.plot(results, ROOT / "docs" / "bench.png")
    table = report.markdown(results)
    print(table)
    if not args.no_doc:
        report.update_doc(ROOT / "docs" / "performance.md", table)
    invalid = report.invalid_compared(results)
    if invalid:
        print(f"INVALID: failed requests at {report.COMPARED} conversations for {', '.join(invalid)}; no claim made")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
