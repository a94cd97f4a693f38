"""The harness's metric computations on hand-built cases with known answers."""

from __future__ import annotations

from typing import Any

import pytest

from evals.compare import compare_reports, metric_deltas
from evals.dataset import Case
from evals.gate import check_gate
from evals.matching import argument_accuracy, is_subset, trajectory_match
from evals.metrics import confusion, pass_hat_k, percentile, summarize
from evals.observe import Observation
from evals.scoring import CaseResult, cited_ok, score


def case(expect: dict[str, Any], case_id: str = "c1") -> Case:
    return Case(dataset="hand", data={"id": case_id, "kind": "event", "expect": expect})


def calls(*names: str, **args: Any) -> list[dict[str, Any]]:
    return [{"name": name, "args": dict(args)} for name in names]


def test_pass_hat_k_is_taus_definition() -> None:
    # case A passed 2 of 3 runs, case B 3 of 3, case C 0 of 3
    runs = [[True, True, False], [True, True, True], [False, False, False]]
    assert pass_hat_k(runs, 1) == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert pass_hat_k(runs, 2) == pytest.approx((1 / 3 + 1 + 0) / 3)  # C(2,2)/C(3,2) = 1/3
    assert pass_hat_k(runs, 3) == pytest.approx((0 + 1 + 0) / 3)


@pytest.mark.parametrize(
    ("mode", "actual", "expected"),
    [
        ("strict", ["a", "b"], True),
        ("strict", ["b", "a"], False),
        ("strict", ["a", "b", "c"], False),
        ("unordered", ["b", "a"], True),
        ("unordered", ["b", "a", "c"], False),
        ("superset", ["c", "a", "b"], True),
        ("superset", ["a"], False),
        ("subset", ["a"], True),
        ("subset", ["a", "c"], False),
    ],
)
def test_trajectory_modes(mode: str, actual: list[str], expected: bool) -> None:
    wanted = calls("a", "b")
    assert trajectory_match(mode, wanted, calls(*actual), {"*": "ignore"}) is expected  # type: ignore[arg-type]


def test_argument_modes_per_tool_in_every_direction() -> None:
    wanted = [{"name": "refund", "args": {"order_id": "1"}}, {"name": "email", "args": {"to": "x"}}]
    actual = [
        {"name": "email", "args": {"to": "someone else"}},
        {"name": "refund", "args": {"order_id": "1", "amount": 5}},
    ]
    modes = {"refund": "subset", "email": "ignore"}
    # our subset = expected args within the actual ones, in both directions of `unordered`
    assert trajectory_match("unordered", wanted, actual, modes)
    assert trajectory_match("subset", wanted, actual, modes)
    assert not trajectory_match("unordered", wanted, actual, {"refund": "exact", "email": "ignore"})
    assert argument_accuracy(wanted, actual, modes) == (2, 2)
    assert argument_accuracy(wanted, actual, {"*": "exact"}) == (0, 2)
    assert argument_accuracy([*wanted, {"name": "void", "args": {}}], actual, modes) == (2, 2)


def test_subset_match_of_json() -> None:
    assert is_subset({"a": {"b": 1}}, {"a": {"b": 1.0, "c": 2}, "d": 3})
    assert not is_subset({"a": [1, 2]}, {"a": [1, 2, 3]})
    assert not is_subset({"flag": True}, {"flag": 1})
    assert not is_subset({"missing": None}, {})


def test_approval_precision_recall_and_routing_confusion() -> None:
    results = [
        score(
            case({"domains": ["crm"], "approvals": ["a", "b"]}, "1"),
            0,
            Observation(domains=["crm"], approvals=[{"kind": "approval", "rules": ["a"]}]),
        ),
        score(
            case({"domains": ["billing"], "approvals": []}, "2"),
            0,
            Observation(
                domains=["billing", "crm"], approvals=[{"kind": "approval", "rules": ["c"]}]
            ),
        ),
        score(
            case({"domains": ["cms"], "approvals": ["d"]}, "3"),
            0,
            Observation(
                domains=[],
                approvals=[
                    {"kind": "approval", "rules": ["d"]},
                    {"kind": "attention", "rules": ["x"]},
                ],
            ),
        ),
    ]
    metrics = summarize(results)
    assert metrics["approval_precision"] == pytest.approx(2 / 3)  # a, d right; c wrong
    assert metrics["approval_recall"] == pytest.approx(2 / 3)  # a, d found; b missed
    assert metrics["routing_accuracy"] == pytest.approx(1 / 3)
    assert confusion(results) == {
        "crm": {"crm": 1},
        "billing": {"billing": 1},
        "(none)": {"crm": 1},
        "cms": {"(none)": 1},
    }
    assert metrics["pass_rate"] == 0.0


def test_latency_percentiles_and_errors_by_kind() -> None:
    assert percentile([0.1 * n for n in range(1, 21)], 50) == pytest.approx(1.0)
    assert percentile([0.1 * n for n in range(1, 21)], 95) == pytest.approx(1.9)
    broken = score(case({}), 0, Observation(error="boom", error_kind="run_failed"))
    assert not broken.passed
    assert summarize([broken])["errors"] == {"run_failed": 1}


def test_reply_facts_and_citations() -> None:
    reply = (
        "Returns are accepted within 30 days [1].\nSources: [1] Returns > Window (kb.md, chunk 42)"
    )
    good = score(
        case({"reply": {"facts": ["30 days"], "citations": True}}),
        0,
        Observation(reply=reply),
        {42},
    )
    assert good.checks == {"reply_facts": True, "citations": True}
    assert not cited_ok(reply, {7})  # the cited chunk is not the tenant's
    assert not cited_ok("Within 30 days [2].\nSources: [1] x (y, chunk 42)", None)
    assert not cited_ok("Within 30 days.", None)


def test_gate_names_each_broken_threshold() -> None:
    metrics = {
        "overall": {"pass_rate": 0.9, "latency_p95_s": 3.0, "pass_hat_k": {"2": 0.5}},
        "datasets": {"events": {"routing_accuracy": 1.0}},
    }
    gate = {
        "overall": {"pass_rate": 0.95, "pass_hat_2": 0.4},
        "datasets": {"events": {"routing_accuracy": 1.0}, "retail": {"pass_rate": 1.0}},
        "maximum": {"overall": {"latency_p95_s": 2.0}},
    }
    failures = check_gate(gate, metrics)
    assert len(failures) == 3
    assert any("pass_rate = 0.9000" in f for f in failures)
    assert any(f.startswith("retail: pass_rate was not measured") for f in failures)
    assert any("latency_p95_s" in f for f in failures)


def result_json(key: str, passed: bool, repeat: int = 0) -> dict[str, Any]:
    res = CaseResult(
        key=key, dataset="d", case_id=key, repeat=repeat, tags=[], checks={"routing": passed}
    )
    return res.to_json()


def test_compare_names_regressed_and_improved_cases() -> None:
    before = {"cases": [result_json("a", True), result_json("b", False), result_json("c", True)]}
    after = {
        "cases": [
            result_json("a", False),
            result_json("b", True),
            result_json("c", True),
            result_json("d", True),
        ]
    }
    found = compare_reports(before, after)
    assert found.regressed == ["a"]
    assert found.improved == ["b"]
    assert found.only_after == ["d"]
    assert found.changed_checks == {"a": ["routing"], "b": ["routing"]}


def test_compare_lists_the_metrics_that_moved() -> None:
    before = {
        "metrics": {
            "overall": {"pass_rate": 1.0, "latency_p50_s": None},
            "datasets": {"events": {"routing_accuracy": 1.0}, "gone": {"pass_rate": 1.0}},
        }
    }
    after = {
        "metrics": {
            "overall": {"pass_rate": 0.9, "latency_p50_s": 0.2},
            "datasets": {"events": {"routing_accuracy": 0.95}},
        }
    }
    assert metric_deltas(before, after) == [
        ("overall", "pass_rate", 1.0, 0.9),
        ("events", "routing_accuracy", 1.0, 0.95),
    ]
