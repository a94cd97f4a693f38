"""Fraud risk of an order: scored from the store and the event's stored payload.

A planner (a model or a playbook) chooses which order to score, never its inputs: the tool
takes an order id and reads the rest itself, so invented arguments cannot lower a score.
"""

from __future__ import annotations

from typing import Any

from langgraph.prebuilt import ToolRuntime
from psycopg import AsyncConnection
from psycopg.rows import DictRow
from pydantic import BaseModel, Field, ValidationError

from connectors.crm import customer_orders
from connectors.orders import customer_ref, get_order, order_total
from graph.facts import (
    FactQuery,
    Facts,
    UnknownFact,
    claimed_amount,
    claimed_count,
    claimed_text,
    currency_of,
)
from graph.tools.base import PlainTool, run_identity

HIGH_VALUE_TOTAL = 1_000.0
NEW_ACCOUNT_DAYS = 2


class OrderRiskInput(BaseModel):
    """Facts about an order that bear on its fraud risk (computed by the tool, see
    `order_risk_inputs`; a planner only names the order)."""

    order_total: float = Field(ge=0, allow_inf_nan=False, description="In the order currency.")
    currency: str = Field(min_length=3, max_length=3)
    customer_order_count: int = Field(ge=0, description="Orders the customer placed before.")
    customer_average_total: float = Field(ge=0, default=0.0)
    account_age_days: int | None = Field(
        ge=0, description="None: not established (no earlier orders vouch for the account)."
    )
    billing_country: str | None = None
    shipping_country: str | None = None
    orders_last_24h: int = Field(ge=0, default=0)
    payment_method: str = "credit_card"


RISKY_PAYMENT_METHODS = {"gift_card": 10, "crypto": 20, "paypal": 5}


def score_order_risk(**kwargs: Any) -> dict[str, Any]:
    """Score an order's fraud risk 0-100 with the named reasons behind the score."""
    order = OrderRiskInput(**kwargs)
    reasons: list[dict[str, Any]] = []

    def add(points: int, reason: str) -> None:
        reasons.append({"points": points, "reason": reason})

    if order.customer_order_count == 0:
        add(15, "first order from this customer")
    elif order.customer_average_total > 0 and order.order_total > 3 * order.customer_average_total:
        add(25, "total is more than 3x the customer's average order")
    if order.order_total >= HIGH_VALUE_TOTAL:
        add(15, f"high value order ({order.order_total:.2f} {order.currency})")
    if order.account_age_days is None:
        if order.customer_order_count == 0:
            add(20, "account age not established and no earlier orders (counted as new)")
    elif order.account_age_days < NEW_ACCOUNT_DAYS:
        add(20, "account created less than 2 days ago")
    if (
        order.billing_country
        and order.shipping_country
        and order.billing_country.upper() != order.shipping_country.upper()
    ):
        add(20, "billing and shipping countries differ")
    if order.orders_last_24h >= 3:
        add(20, f"{order.orders_last_24h} orders in the last 24 hours")
    if order.payment_method in RISKY_PAYMENT_METHODS:
        add(RISKY_PAYMENT_METHODS[order.payment_method], f"payment by {order.payment_method}")
    score = min(100, sum(int(reason["points"]) for reason in reasons))
    return {"score": score, "reasons": reasons}


async def order_risk_inputs(
    conn: AsyncConnection[DictRow], *, tenant_id: str, order_id: str, payload: dict[str, Any]
) -> OrderRiskInput:
    """An order's risk inputs from the store and the event's stored payload.

    The payload speaks for its own order (total, currency, addresses, payment method) only
    when it is that order's event. The customer's history is the store's: the payload's
    own counts are ignored, and its claims can only add risk (a new account, many orders
    today), except an older account age, which counts when the store's history vouches for
    the customer. Raises `UnknownFact` when an input cannot be established.
    """
    order = await get_order(conn, tenant_id=tenant_id, order_id=order_id)
    own = payload if str(payload.get("order_id") or "") == order_id else {}
    if order is None and not own:
        raise UnknownFact(f"order {order_id} is not in the store")
    claimed_total = claimed_amount(own, "total")
    totals = [order_total(order)] if order is not None else []
    totals += [claimed_total] if claimed_total is not None else []
    if not totals:
        raise UnknownFact(f"order {order_id} has no total in the store or the payload")
    customer = str(order["user_id"]) if order is not None else customer_ref(own)
    history = (
        []
        if customer == "guest"
        else await customer_orders(
            conn, tenant_id=tenant_id, customer=customer, exclude_order=order_id
        )
    )
    claims: dict[str, Any] = own["customer"] if isinstance(own.get("customer"), dict) else {}
    claimed_age = claimed_count(claims, "account_age_days")
    vouched = claimed_age is not None and (claimed_age < NEW_ACCOUNT_DAYS or bool(history))
    stored_address = (order or {}).get("address") or {}
    stored_payments = (order or {}).get("payment_history") or [{}]
    return OrderRiskInput(
        order_total=round(max(totals), 2),
        currency=currency_of(own),
        customer_order_count=len(history),
        customer_average_total=round(sum(history) / len(history), 2) if history else 0.0,
        account_age_days=claimed_age if vouched else None,
        billing_country=claimed_text(own, "billing_address", "country"),
        shipping_country=claimed_text(own, "shipping_address", "country")
        if own
        else stored_address.get("country"),
        orders_last_24h=claimed_count(own, "orders_last_24h") or 0,
        payment_method=claimed_text(own, "payment_method")
        or str(stored_payments[0].get("payment_method_id") or "unknown"),
    )


class OrderToScore(BaseModel):
    """Which order to score: the tool reads its facts from the store and the event."""

    order_id: str = Field(min_length=1)


async def score_order(runtime: ToolRuntime, **kwargs: Any) -> dict[str, Any] | str:
    context, tenant_id, _, _ = run_identity(runtime)
    order_id = OrderToScore.model_validate(kwargs).order_id
    state = runtime.state if isinstance(runtime.state, dict) else {}
    payload = (state.get("event") or {}).get("payload") or {}
    async with context.pool.connection() as conn:
        try:
            inputs = await order_risk_inputs(
                conn, tenant_id=tenant_id, order_id=order_id, payload=payload
            )
        except (UnknownFact, ValidationError) as error:
            return f"Error: cannot score order {order_id}: {error}"
    facts = inputs.model_dump()
    return {"order_id": order_id, **score_order_risk(**facts), "inputs": facts}


score_order_risk_tool = PlainTool.from_function(
    coroutine=score_order,
    name="score_order_risk",
    description=(
        "Score an order's fraud risk 0-100 with the named reasons behind the score. "
        "The order's facts and the customer's history are read from the store and the event."
    ),
    args_schema=OrderToScore,
)


def fraud_score_of(prior: list[dict[str, Any]], order_id: str) -> tuple[dict[str, Any] | None, str]:
    """The fraud review's score of `order_id` from an earlier stage, or why there is none.

    Only a successful `score_order_risk` result for this very order counts (the tool reads
    its inputs from the store and the event; a planner only chose which order to score).
    """
    reviews = [outcome for outcome in prior if outcome["specialist"] == "fraud_review"]
    if not reviews:
        return None, "no fraud review ran before this call"
    calls = [c for o in reviews for c in o["tool_calls"] if c["name"] == score_order_risk_tool.name]
    for call in reversed(calls):
        result = call["result"]
        if (
            call["status"] == "success"
            and isinstance(result, dict)
            and str(result.get("order_id")) == order_id
            and isinstance(result.get("score"), int)
        ):
            return result, ""
    failed = [c for c in calls if c["status"] != "success"]
    if failed:
        return None, f"score_order_risk failed: {str(failed[-1]['result'])[:300]}"
    if calls:
        return None, f"the fraud review scored another order, not {order_id}"
    return None, "the fraud review did not score this order"


async def fraud_score(query: FactQuery, facts: Facts) -> None:
    """The fact `fraud_score`: the fraud review's score of the called-on order, from an
    earlier stage of the same run (a fact source for tools that ship an order)."""
    order_id = str(query.args.get("order_id") or "")
    if not order_id:
        facts.lack("fraud_score", "the call names no order")
        return
    prior = query.event.get("prior")
    risk, why = fraud_score_of(list(prior) if isinstance(prior, list) else [], order_id)
    if risk is None:
        facts.lack("fraud_score", why)
        return
    facts.set("fraud_score", risk["score"])
    reasons = "; ".join(r["reason"] for r in risk["reasons"]) or "no risk signals"
    facts.lines.append(f"fraud score {risk['score']}/100: {reasons}")
