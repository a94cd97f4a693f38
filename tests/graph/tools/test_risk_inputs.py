"""order_risk_inputs on the seeded store: the store's history, never the payload's claims about
it; the payload speaks only for its own order (issue 8, finding 2)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.crm import customer_orders
from connectors.orders import get_order, order_total
from graph.context import OpsContext
from graph.facts import UnknownFact
from graph.tools.direct import call_tool, tool_message_text
from graph.tools.risk import (
    OrderRiskInput,
    order_risk_inputs,
    score_order_risk,
    score_order_risk_tool,
)
from runtime.resources import Resources

KNOWN_CUSTOMER = "fatima_muller_6713"
STORE_ORDER = "#W2611340"


async def inputs(resources: Resources, order_id: str, payload: dict[str, Any]) -> OrderRiskInput:
    async with resources.pool.connection() as conn:
        return await order_risk_inputs(
            conn, tenant_id="default", order_id=order_id, payload=payload
        )


async def test_claimed_history_cannot_vouch_for_a_customer_the_store_does_not_know(
    resources: Resources,
) -> None:
    claims = {"id": "never-seen-42", "order_count": 40, "average_total": 500.0}
    payload = {
        "order_id": "#R1",
        "total": 120.0,
        "customer": {**claims, "account_age_days": 3000},
    }

    found = await inputs(resources, "#R1", payload)

    assert (found.customer_order_count, found.customer_average_total) == (0, 0.0)
    assert found.account_age_days is None
    reasons = [r["reason"] for r in score_order_risk(**found.model_dump())["reasons"]]
    assert reasons == [
        "first order from this customer",
        "account age not established and no earlier orders (counted as new)",
    ]


async def test_the_store_history_counts_whatever_the_payload_claims(resources: Resources) -> None:
    async with resources.pool.connection() as conn:
        history = await customer_orders(
            conn, tenant_id="default", customer=KNOWN_CUSTOMER, exclude_order="#R2"
        )
    assert history, "the seeded store knows this customer"
    payload = {
        "order_id": "#R2",
        "total": 50.0,
        "customer": {"id": KNOWN_CUSTOMER, "order_count": 0, "account_age_days": 700},
    }

    found = await inputs(resources, "#R2", payload)

    assert found.customer_order_count == len(history)
    assert found.account_age_days == 700  # the store's history vouches for an old account


async def test_claims_that_add_risk_are_kept(resources: Resources) -> None:
    payload = {
        "order_id": "#R3",
        "total": 10.0,
        "customer": {"id": KNOWN_CUSTOMER, "account_age_days": 0},
        "orders_last_24h": 5,
        "payment_method": "crypto",
        "billing_address": {"country": "US"},
        "shipping_address": {"country": "NG"},
    }

    found = await inputs(resources, "#R3", payload)

    assert (found.account_age_days, found.orders_last_24h) == (0, 5)
    assert (found.payment_method, found.billing_country, found.shipping_country) == (
        "crypto",
        "US",
        "NG",
    )


async def test_another_orders_payload_does_not_speak_for_a_store_order(
    resources: Resources,
) -> None:
    calm_claims = {
        "order_id": "#R4",
        "total": 1.0,
        "currency": "EUR",
        "payment_method": "credit_card",
        "orders_last_24h": 0,
    }
    async with resources.pool.connection() as conn:
        order = await get_order(conn, tenant_id="default", order_id=STORE_ORDER)

    found = await inputs(resources, STORE_ORDER, calm_claims)

    assert found.order_total == order_total(order)
    assert found.currency == "USD"
    assert found.payment_method == order["payment_history"][0]["payment_method_id"]


@pytest.mark.parametrize(
    ("order_id", "payload", "why"),
    [
        ("#NOWHERE", {"order_id": "#ELSE"}, "order #NOWHERE is not in the store"),
        ("#R5", {"order_id": "#R5"}, "order #R5 has no total in the store or the payload"),
        (
            "#R6",
            {"order_id": "#R6", "total": 5, "currency": "US"},
            "the order's currency 'US' is not a three-letter code",
        ),
        (
            "#R7",
            {"order_id": "#R7", "total": 5, "orders_last_24h": "five"},
            "the payload's orders_last_24h 'five' is not a count",
        ),
        (
            "#R8",
            {"order_id": "#R8", "total": 5, "customer": {"account_age_days": -3}},
            "the payload's account_age_days -3 is not a count",
        ),
    ],
)
async def test_inputs_that_cannot_be_established_are_refused_with_the_reason(
    resources: Resources, order_id: str, payload: dict[str, Any], why: str
) -> None:
    with pytest.raises(UnknownFact) as raised:
        await inputs(resources, order_id, payload)

    assert str(raised.value) == why


async def test_the_tool_ignores_inputs_passed_as_arguments(resources: Resources) -> None:
    """Whatever a planner adds to the order id, the tool scores what the store shows."""
    invented = {"order_total": 0.0, "customer_order_count": 99, "account_age_days": 9000}
    context = OpsContext(pool=resources.pool)

    reply = await call_tool(
        score_order_risk_tool,
        {"order_id": STORE_ORDER, **invented, "payment_method": "credit_card"},
        context=context,
        tenant_id="default",
        thread_id="risk-direct",
        call_id="risk-1",
    )

    result = json.loads(tool_message_text(reply))
    expected = (await inputs(resources, STORE_ORDER, {})).model_dump()
    assert result["order_id"] == STORE_ORDER
    assert result["inputs"] == expected
    assert result["inputs"]["order_total"] > 0
    assert result["score"] == score_order_risk(**expected)["score"]
