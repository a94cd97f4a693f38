"""The policy's three answers per rule: fires, clear, or cannot be judged (which counts as
fired: a missing fact never waves a call through)."""

from __future__ import annotations

from typing import Any

import pytest

from hitl.policy import load_policy, parse_policy

POLICY = parse_policy(
    """
version: test-three-valued
rules:
  - id: big
    description: big orders
    tools: [ship]
    when:
      - {fact: total, op: ">=", value: 1000, per_currency: {GBP: 850}}
  - id: risky
    description: risky and big
    tools: [ship]
    approvers: 2
    when:
      - {fact: score, op: ">=", value: 90}
      - {fact: total, op: ">", value: 50}
    propose: {action: cancel, args: {reason: risk}}
"""
)


@pytest.mark.parametrize(
    ("facts", "rules", "missing"),
    [
        ({"currency": "USD", "total": 10, "score": 0}, None, {}),
        ({"currency": "GBP", "total": 900, "score": 0}, ["big"], {}),
        ({"currency": "USD", "total": 100}, ["risky"], {"risky": ("score",)}),
        ({"total": 2000, "score": 95}, ["big", "risky"], {"big": ("currency",)}),
        ({"currency": "USD", "total": None, "score": 0}, ["big"], {"big": ("total",)}),
        ({"currency": "USD", "total": "many", "score": 95}, ["big", "risky"], {}),
        ({"currency": "USD", "total": 20, "score": None}, None, {}),
    ],
    ids=[
        "all-known-clear",
        "per-currency-fires",
        "missing-score",
        "missing-currency",
        "null-total",
        "uncomparable-total",
        "known-false-condition-clears",
    ],
)
def test_rules_fire_clear_or_count_as_fired_when_they_cannot_be_judged(
    facts: dict[str, Any], rules: list[str] | None, missing: dict[str, tuple[str, ...]]
) -> None:
    requirement = POLICY.evaluate("ship", facts)

    if rules is None:
        assert requirement is None
        return
    assert requirement is not None
    assert requirement.rule_ids == rules
    if facts.get("total") == "many":
        assert dict(requirement.missing) == {"big": ("total",), "risky": ("total",)}
    else:
        assert dict(requirement.missing) == missing


def test_an_unjudged_rule_takes_its_worst_case_but_proposes_nothing() -> None:
    unjudged = POLICY.evaluate("ship", {"currency": "USD", "total": 100})
    judged = POLICY.evaluate("ship", {"currency": "USD", "total": 100, "score": 95})

    assert unjudged is not None and judged is not None
    assert unjudged.approvers == judged.approvers == 2
    assert unjudged.proposal is None
    assert judged.proposal is not None and judged.proposal.action == "cancel"


def test_a_rule_for_another_tool_never_applies() -> None:
    assert POLICY.evaluate("refund", {}) is None


def test_the_shipped_policy_holds_an_order_with_no_fraud_score() -> None:
    requirement = load_policy().evaluate(
        "create_fulfillment", {"currency": "USD", "order_total": 80.0, "amount": 80.0}
    )

    assert requirement is not None
    assert requirement.rule_ids == ["fraud_review", "fraud_hold"]
    assert requirement.proposal is None
