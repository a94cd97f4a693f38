"""Percentiles, the machine's context, and the results file."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of `samples`."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(samples_s: list[float]) -> dict[str, float]:
    ms = [sample * 1000 for sample in samples_s]
    return {
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else float("nan"),
    }


def machine_context() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def save_results(name: str, figures: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"context": machine_context(), **figures}, indent=2) + "\n")
    return path


def publish(name: str, figures: dict[str, Any], summary: str | None = None) -> Path:
    """Save the figures (`save_results`) and print `summary`, the document as saved, and
    where it went."""
    path = save_results(name, figures)
    if summary is not None:
        print(summary)
    print(path.read_text(), end="")
    print(f"saved {path}")
    return path
