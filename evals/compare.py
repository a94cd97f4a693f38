"""Comparing two runs case by case: which cases regressed, which improved."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Comparison:
    regressed: list[str] = field(default_factory=list)
    improved: list[str] = field(default_factory=list)
    only_before: list[str] = field(default_factory=list)
    only_after: list[str] = field(default_factory=list)
    changed_checks: dict[str, list[str]] = field(default_factory=dict)


def load_report(path: Path) -> dict[str, Any]:
    """A report directory or its report.json."""
    file = path / "report.json" if path.is_dir() else path
    data: dict[str, Any] = json.loads(file.read_text("utf-8"))
    return data


def pass_rates(report: Mapping[str, Any]) -> dict[str, tuple[float, dict[str, float]]]:
    """Per case: share of runs passed, and per check the share passed."""
    runs: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for case in report["cases"]:
        runs[case["key"]].append(case)
    rates: dict[str, tuple[float, dict[str, float]]] = {}
    for key, found in runs.items():
        checks: dict[str, list[bool]] = defaultdict(list)
        for run in found:
            for name, ok in run["checks"].items():
                checks[name].append(bool(ok))
        rates[key] = (
            sum(bool(run["passed"]) for run in found) / len(found),
            {name: sum(oks) / len(oks) for name, oks in checks.items()},
        )
    return rates


def compare_reports(before: Mapping[str, Any], after: Mapping[str, Any]) -> Comparison:
    a, b = pass_rates(before), pass_rates(after)
    result = Comparison(
        only_before=sorted(a.keys() - b.keys()), only_after=sorted(b.keys() - a.keys())
    )
    for key in sorted(a.keys() & b.keys()):
        (rate_a, checks_a), (rate_b, checks_b) = a[key], b[key]
        if rate_b < rate_a:
            result.regressed.append(key)
        elif rate_b > rate_a:
            result.improved.append(key)
        moved = sorted(
            name
            for name in checks_a.keys() | checks_b.keys()
            if checks_a.get(name) != checks_b.get(name)
        )
        if moved and rate_a != rate_b:
            result.changed_checks[key] = moved
    return result


def metric_deltas(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[tuple[str, str, float, float]]:
    """(scope, metric, before, after) for every numeric metric that changed, overall and
    per dataset both runs have."""
    a, b = before["metrics"], after["metrics"]
    scopes = [("overall", a["overall"], b["overall"])]
    scopes += [
        (name, a["datasets"][name], b["datasets"][name])
        for name in sorted(a["datasets"].keys() & b["datasets"].keys())
    ]
    changed = []
    for scope, old, new in scopes:
        for name in sorted(old.keys() & new.keys()):
            x, y = old[name], new[name]
            numeric = isinstance(x, int | float) and isinstance(y, int | float)
            if numeric and not isinstance(x, bool) and abs(float(x) - float(y)) > 1e-12:
                changed.append((scope, name, float(x), float(y)))
    return changed
