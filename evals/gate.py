"""The release gate: thresholds per metric, overall and per dataset, from a TOML file.

    [overall]
    pass_rate = 0.95          # at least
    [datasets.events]
    routing_accuracy = 1.0
    [maximum.overall]
    latency_p95_s = 5.0       # at most

A metric the run did not compute (None) fails its threshold: a gate cannot pass on nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def read_gate(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text("utf-8"))


def metric_value(scope: Mapping[str, Any], name: str) -> float | None:
    if name.startswith("pass_hat_"):
        found = (scope.get("pass_hat_k") or {}).get(name.removeprefix("pass_hat_"))
    else:
        found = scope.get(name)
    return float(found) if isinstance(found, int | float) else None


def check_gate(gate: Mapping[str, Any], metrics: Mapping[str, Any]) -> list[str]:
    """Every threshold broken, as a line saying where, what and by how much."""
    failures: list[str] = []

    def judge(
        where: str, scope: Mapping[str, Any] | None, limits: Mapping[str, Any], most: bool
    ) -> None:
        for name, limit in limits.items():
            value = None if scope is None else metric_value(scope, name)
            if value is None:
                failures.append(f"{where}: {name} was not measured (threshold {limit})")
            elif (value > limit) if most else (value < limit):
                sign = "<=" if most else ">="
                failures.append(f"{where}: {name} = {value:.4f}, needs {sign} {limit}")

    for most, section in ((False, gate), (True, gate.get("maximum") or {})):
        judge("overall", metrics["overall"], section.get("overall") or {}, most)
        for dataset, limits in (section.get("datasets") or {}).items():
            judge(dataset, metrics["datasets"].get(dataset), limits, most)
    return failures
