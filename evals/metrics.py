"""Aggregate metrics over case results: routing, trajectories, arguments, approvals, end
states, replies, pass^k, usage, latency and errors."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from math import comb
from typing import Any

from evals.scoring import CaseResult

NONE = "(none)"


def pass_hat_k(outcomes: Sequence[Sequence[bool]], k: int) -> float:
    """τ-bench's pass^k: the mean over cases of C(c, k) / C(n, k), where a case ran n times
    and passed c of them; the chance that k runs drawn from its n all pass."""
    scores = [comb(sum(runs), k) / comb(len(runs), k) for runs in outcomes if len(runs) >= k]
    return sum(scores) / len(scores) if scores else 0.0


def ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


def check_rate(results: Sequence[CaseResult], name: str) -> float | None:
    relevant = [r.checks[name] for r in results if name in r.checks]
    return ratio(sum(relevant), len(relevant))


def approval_rate(results: Sequence[CaseResult], hits: int, total: int) -> float | None:
    """None when no case states its approvals; 1.0 when cases expect none and none came."""
    if not any("approvals" in r.expected for r in results):
        return None
    return hits / total if total else 1.0


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def confusion(results: Sequence[CaseResult]) -> dict[str, dict[str, int]]:
    """Multi-label routing confusion: expected domain -> routed domain, `(none)` for a domain
    expected and not reached (column) or reached and not expected (row)."""
    matrix: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for result in results:
        if "domains" not in result.expected:
            continue
        want = set(result.expected["domains"])
        got = set(result.observed.get("domains") or [])
        for domain in want:
            matrix[domain][domain if domain in got else NONE] += 1
        for domain in got - want:
            matrix[NONE][domain] += 1
        if not want and not got:
            matrix[NONE][NONE] += 1
    return {row: dict(cols) for row, cols in matrix.items()}


def summarize(results: Sequence[CaseResult]) -> dict[str, Any]:
    """The metrics of a set of results (one dataset, or all)."""
    by_case: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        by_case[result.key].append(result.passed)
    repeats = max((len(runs) for runs in by_case.values()), default=0)
    tp = sum(r.approvals_tp for r in results)
    fp = sum(r.approvals_fp for r in results)
    fn = sum(r.approvals_fn for r in results)
    latencies = [float(r.observed.get("latency_s") or 0.0) for r in results]
    errors = Counter(str(r.observed["error_kind"]) for r in results if r.observed.get("error_kind"))
    args_made = sum(r.args_made for r in results)
    expected_calls = sum(len(r.expected.get("tool_calls") or []) for r in results)
    return {
        "cases": len(by_case),
        "runs": len(results),
        "pass_rate": ratio(sum(r.passed for r in results), len(results)),
        "pass_hat_k": {
            str(k): pass_hat_k(list(by_case.values()), k) for k in range(1, repeats + 1)
        },
        "routing_accuracy": check_rate(results, "routing"),
        "specialist_accuracy": check_rate(results, "specialists"),
        "status_accuracy": check_rate(results, "status"),
        "delivery_accuracy": check_rate(results, "deliveries"),
        "trajectory_match": check_rate(results, "trajectory"),
        "tool_args_accuracy": ratio(sum(r.args_right for r in results), expected_calls),
        "tool_recall": ratio(args_made, expected_calls),
        "approval_precision": approval_rate(results, tp, tp + fp),
        "approval_recall": approval_rate(results, tp, tp + fn),
        "attention_accuracy": check_rate(results, "attention"),
        "end_state_match": check_rate(results, "end_state"),
        "reply_facts": check_rate(results, "reply_facts"),
        "citation_validity": check_rate(results, "citations"),
        "model_calls_per_case": ratio(
            sum(int(r.observed.get("model_calls") or 0) for r in results), len(results)
        ),
        "tokens_per_case": ratio(
            sum(int(r.observed.get("tokens") or 0) for r in results), len(results)
        ),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "errors": dict(errors),
        "confusion": confusion(results),
    }


def report_metrics(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Overall and per dataset."""
    datasets = sorted({r.dataset for r in results})
    return {
        "overall": summarize(results),
        "datasets": {
            name: summarize([r for r in results if r.dataset == name]) for name in datasets
        },
    }
