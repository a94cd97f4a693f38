"""The offline eval run: cases per second over every shipped set, at concurrency 1 and 4.

Run: `python -m bench.evals [--concurrency 1 4]` (or `make bench`). Each run is what
`opsgraph eval run evals/events.jsonl evals/retail.jsonl evals/kb_answers.jsonl
evals/chat.jsonl` does, in-process, on an embedded PostgreSQL of its own (a fresh data
directory per run): the template tenant seeded, the sample knowledge base ingested, every
case on a tenant of its own through the real graphs, checkpointer, tools, ledger and gate,
the offline planner. Figures per concurrency: cases per second over the cases themselves
(`meta.runs_per_s`), the wall time including the server's start, seeding and the reports
(what the offline gate in `make test` pays), pass rate, latency p50/p95 per case, and the
time per dataset's cases. Target: the offline gate within 2 minutes on this machine.
Exits 1 when a run's pass rate falls below the gate's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import save_results
from evals.engine import RunOptions
from evals.gate import check_gate, read_gate
from runtime.logging import configure_logging
from runtime.settings import get_settings
from service.cli_eval import eval_settings, run_eval

EVALS = Path(__file__).resolve().parents[1] / "evals"
SHIPPED = ("events.jsonl", "retail.jsonl", "kb_answers.jsonl", "chat.jsonl")
GATE = EVALS / "gate.toml"
TARGET_GATE_S = 120.0


def per_dataset(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Summed case latency and count per dataset (where the time goes)."""
    totals: dict[str, dict[str, float]] = {}
    for case in report["cases"]:
        entry = totals.setdefault(case["dataset"], {"cases": 0, "case_seconds": 0.0})
        entry["cases"] += 1
        entry["case_seconds"] += float(case["observed"].get("latency_s") or 0.0)
    return {
        name: {**entry, "case_seconds": round(entry["case_seconds"], 2)}
        for name, entry in totals.items()
    }


def measure(concurrency: int, datasets: list[Path]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-evals-") as scratch:
        settings = eval_settings(get_settings(), None, Path(scratch) / "eval")
        out = Path(scratch) / "report"
        started = time.perf_counter()
        report = asyncio.run(run_eval(settings, datasets, RunOptions(concurrency=concurrency), out))
        wall = time.perf_counter() - started
    overall = report["metrics"]["overall"]
    failures = check_gate(read_gate(GATE), report["metrics"])
    return {
        "concurrency": concurrency,
        "cases": report["meta"]["runs"],
        "cases_s": round(report["meta"]["duration_s"], 2),
        "cases_per_s": round(report["meta"]["runs_per_s"], 2),
        "wall_s": round(wall, 2),
        "pass_rate": round(overall["pass_rate"], 4),
        "latency_p50_s": round(overall["latency_p50_s"], 3),
        "latency_p95_s": round(overall["latency_p95_s"], 3),
        "gate_failures": failures,
        "datasets": per_dataset(report),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    datasets = [EVALS / name for name in SHIPPED]
    runs = []
    for concurrency in args.concurrency:
        figures = measure(concurrency, datasets)
        runs.append(figures)
        print(
            f"concurrency {concurrency}: {figures['cases']} cases in {figures['cases_s']} s "
            f"= {figures['cases_per_s']} cases/s; wall {figures['wall_s']} s; "
            f"pass rate {figures['pass_rate']}; p50 {figures['latency_p50_s']} s, "
            f"p95 {figures['latency_p95_s']} s"
        )
    fastest = min(run["wall_s"] for run in runs)
    path = save_results(
        "evals",
        {
            "datasets": list(SHIPPED),
            "planner": "offline",
            "isolation": "tenant per case, copied from a template tenant",
            "target_gate_wall_s": TARGET_GATE_S,
            "gate_wall_within_target": fastest <= TARGET_GATE_S,
            "runs": runs,
        },
    )
    print(f"results -> {path}")
    return 1 if any(run["gate_failures"] for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
