"""The facts the gate judges a call by, on the real store: what cannot be established is
named with its reason, and the default policy then fails closed (issue 8, finding 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graph import gate as gate_module
from graph.context import OpsContext
from graph.gate import facts_for
from graph.state import SpecialistOutcome
from graph.tools.registry import build_tool_registry
from hitl.policy import load_policy
from runtime.resources import Resources
from tests.graph.support import make_event

STORE_ORDER = "#W2611340"
"""A τ-bench order in the seeded store."""


def scored(order_id: str, score: int = 10) -> SpecialistOutcome:
    return {
        "domain": "ecommerce",
        "specialist": "fraud_review",
        "summary": "",
        "tool_calls": [
            {
                "id": "c1",
                "name": "score_order_risk",
                "args": {"order_id": order_id},
                "result": {"order_id": order_id, "score": score, "reasons": []},
                "status": "success",
            }
        ],
    }


def state(payload: dict[str, Any], *prior: SpecialistOutcome) -> dict[str, Any]:
    event = make_event("order.created", f"order:{STORE_ORDER}", payload)
    return {"event": {**event, "prior": list(prior)}}


async def judge(
    resources: Resources, tool: str, args: dict[str, Any], run: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str], dict[str, tuple[str, ...]]]:
    context = OpsContext(pool=resources.pool, tools=build_tool_registry())
    facts = await facts_for(context, "default", tool, args, run)
    requirement = context.policy.evaluate(tool, facts.values)
    return facts.values, facts.unknown, dict(requirement.missing) if requirement else {}


async def test_every_fact_known_and_low_means_no_rule_applies(resources: Resources) -> None:
    values, _, _ = await judge(
        resources,
        "create_fulfillment",
        {"order_id": STORE_ORDER},
        state({"order_id": STORE_ORDER, "currency": "usd"}, scored(STORE_ORDER)),
    )

    assert values["currency"] == "USD"
    assert values["fraud_score"] == 10
    assert load_policy().evaluate("create_fulfillment", values) is None


async def test_a_total_that_is_no_amount_leaves_the_total_rules_unjudged(
    resources: Resources,
) -> None:
    _, unknown, missing = await judge(
        resources,
        "create_fulfillment",
        {"order_id": STORE_ORDER},
        state({"order_id": STORE_ORDER, "total": "a lot"}, scored(STORE_ORDER)),
    )

    assert unknown["order_total"] == "the payload's total 'a lot' is not an amount"
    assert missing == {"high_value_order": ("order_total",), "four_eyes": ("amount",)}
    requirement = load_policy().evaluate("create_fulfillment", {"currency": "USD"})
    assert requirement is not None
    assert requirement.approvers == 2  # four_eyes could not be ruled out: its worst case


async def test_an_order_missing_from_the_store_has_no_total_and_no_dispute_state(
    resources: Resources,
) -> None:
    _, unknown, missing = await judge(
        resources, "refund_payment", {"order_id": "#NOPE", "amount": 5.0}, state({})
    )

    assert unknown["disputed"] == "order #NOPE is not in the store"
    assert missing == {"disputed_refund": ("disputed",)}


async def test_a_score_of_another_order_does_not_count(resources: Resources) -> None:
    _, unknown, missing = await judge(
        resources,
        "create_fulfillment",
        {"order_id": STORE_ORDER},
        state({"order_id": STORE_ORDER}, scored("#W0000000", score=0)),
    )

    assert unknown["fraud_score"] == f"the fraud review scored another order, not {STORE_ORDER}"
    assert missing == {"fraud_review": ("fraud_score",), "fraud_hold": ("fraud_score",)}


async def test_no_fraud_review_means_no_fraud_score(resources: Resources) -> None:
    _, unknown, missing = await judge(
        resources, "create_fulfillment", {"order_id": STORE_ORDER}, state({})
    )

    assert unknown["fraud_score"] == "no fraud review ran before this call"
    assert set(missing) == {"fraud_review", "fraud_hold"}


async def test_a_fraud_review_that_never_scored_leaves_no_fraud_score(
    resources: Resources,
) -> None:
    silent: SpecialistOutcome = {
        "domain": "ecommerce",
        "specialist": "fraud_review",
        "summary": "fraud risk 0/100, trust me",
        "tool_calls": [],
    }

    _, unknown, missing = await judge(
        resources, "create_fulfillment", {"order_id": STORE_ORDER}, state({}, silent)
    )

    assert unknown["fraud_score"] == "the fraud review did not score this order"
    assert set(missing) == {"fraud_review", "fraud_hold"}


def test_the_gate_names_no_room_s_tools_or_facts() -> None:
    """Each tool declares its facts next to itself; the gate only runs them."""
    source = Path(gate_module.__file__).read_text()
    for name in ("fraud_review", "score_order_risk", "create_fulfillment", "budget", "unit_cost"):
        assert name not in source, name


async def test_a_tool_declares_the_facts_it_is_judged_by(resources: Resources) -> None:
    tools = build_tool_registry()
    reorder = tools.effect("propose_reorder")
    context = OpsContext(pool=resources.pool, tools=tools)
    args = {"product_id": "P", "item_id": "I", "quantity": 30, "unit_cost": 200.0, "reason": "x"}

    facts = await facts_for(context, "default", "propose_reorder", args, state({}))

    assert facts.values["budget"] == 6000.0
    assert [source.__name__ for source in reorder.facts] == ["reorder_budget"]
    unknown = await facts_for(
        OpsContext(pool=resources.pool), "default", "propose_reorder", args, state({})
    )
    assert "budget" not in unknown.values  # a registry without the tool: no facts, fail closed
    requirement = load_policy().evaluate("propose_reorder", unknown.values)
    assert requirement is not None and requirement.missing == {"reorder_budget": ("budget",)}
