"""The benchmark's figures: read from Locust, printed, tabulated for the README and plotted."""

from __future__ import annotations

import csv
import os
import platform
import re
from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
PLOT_COLOURS = {"baseline": "#888888", "ours_1": "#4a90d9", "ours": "#1b5e20"}


def read_locust_csv(path: Path) -> dict:
    """Replies per second, latency percentiles (ms) and errors from Locust's aggregated row."""
    with path.open(newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return {
        "requests": int(row["Request Count"]),
        "errors": int(row["Failure Count"]),
        "rps": round(float(row["Requests/s"]), 2),
        "p50_ms": _ms(row["50%"]),
        "p95_ms": _ms(row["95%"]),
        "p99_ms": _ms(row["99%"]),
    }


def _ms(value: str) -> float | None:
    return None if value in ("", "N/A") else float(value)


def line(figures: dict) -> str:
    return (
        f"{figures['rps']:7.2f}/s  p50 {figures['p50_ms']} ms  p95 {figures['p95_ms']} ms  "
        f"p99 {figures['p99_ms']} ms  errors {figures['errors']}/{figures['requests']}"
    )


def machine() -> str:
    return f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python {platform.python_version()}"


def ratios(results: dict, users: str = "32") -> dict:
    """Ours (scaled) against the baseline: the issue's four targets."""
    base, ours = results["variants"]["baseline"], results["variants"]["ours"]
    b, o = base["turn"][users], ours["turn"][users]
    return {
        "throughput": o["rps"] / b["rps"] if b["rps"] else float("inf"),
        "p95": o["p95_ms"] / b["p95_ms"] if b["p95_ms"] else float("inf"),
        "ready": ours["ready_s"] / base["ready_s"],
        "f1": ours["nlu_macro_f1"] - base["nlu_macro_f1"],
    }


def markdown(results: dict) -> str:
    """The README's table: one row per variant and concurrency level, then the ratios and the floor."""
    rows = [
        "| Serving | Conversations | Replies/s | p50 ms | p95 ms | p99 ms | Errors | Peak RSS MB | Ready s | NLU F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for variant in results["variants"].values():
        for users, f in variant["turn"].items():
            rows.append(
                f"| {variant['label']} | {users} | {f['rps']:.1f} | {f['p50_ms']:.0f} | {f['p95_ms']:.0f} | "
                f"{f['p99_ms']:.0f} | {f['errors']} | {variant['peak_rss_mb']:.0f} | {variant['ready_s']:.0f} | "
                f"{variant['nlu_macro_f1']:.3f} |"
            )
    floor = results["variants"]["ours"].get("parse", {})
    if floor:
        title = "Floor, `/model/parse` alone on our scaled servers (NLU only, no dialogue, no action server, no nginx):"
        rows += ["", title, ""]
        rows += ["| Concurrent | Parses/s | p50 ms | p95 ms | p99 ms |", "|---:|---:|---:|---:|---:|"]
        for users, f in floor.items():
            rows.append(f"| {users} | {f['rps']:.1f} | {f['p50_ms']:.0f} | {f['p95_ms']:.0f} | {f['p99_ms']:.0f} |")
    r = ratios(results)
    rows += [
        "",
        f"At 32 concurrent conversations, ours (scaled) against the baseline: throughput **×{r['throughput']:.1f}** "
        f"(target ≥ ×3), p95 latency **×{r['p95']:.2f}** (target ≤ ×0.33), start to ready **×{r['ready']:.2f}** "
        f"(target ≤ ×0.5), NLU macro-F1 **{r['f1']:+.3f}** (target ≥ 0).",
        "",
        f"Measured by `make bench` on {results['machine']}, {results['seconds_per_level']} s per level after "
        "ramp-up, the variants taking turns level by level. The load generator runs on the same machine, "
        f"{results.get('load_generator', 'at their priority')}.",
    ]
    return "\n".join(rows)


def plot(results: dict, path: Path) -> None:
    """Replies/s and p95 latency against concurrent conversations, one line per variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    for key, variant in results["variants"].items():
        users = [int(u) for u in variant["turn"]]
        colour = PLOT_COLOURS.get(key)
        left.plot(users, [f["rps"] for f in variant["turn"].values()], "o-", color=colour, label=variant["label"])
        right.plot(users, [f["p95_ms"] for f in variant["turn"].values()], "o-", color=colour, label=variant["label"])
    for axis, title in ((left, "Replies per second"), (right, "p95 latency (ms)")):
        axis.set_xscale("log", base=2)
        axis.set_xlabel("concurrent conversations")
        axis.set_title(title)
        axis.grid(alpha=0.3)
    right.set_yscale("log")
    left.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def update_readme(readme: Path, table: str) -> None:
    """Replace the text between the bench markers in the README."""
    text = readme.read_text(encoding="utf-8")
    if START not in text:
        raise SystemExit(f"README.md has no {START} ... {END} section")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    readme.write_text(pattern.sub(lambda _: f"{START}\n{table}\n{END}", text), encoding="utf-8")
