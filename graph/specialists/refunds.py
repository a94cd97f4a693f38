"""Billing: refund to the original payment method; a refused refund goes to a person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import (
    PlaybookStep,
    Specialist,
    call,
    is_error,
    last_result,
    results_of,
)
from graph.state import EventData
from graph.tools.attention import (
    attention_args,
    by_reviewer,
    chosen,
    left_as_is,
    raise_attention_tool,
)
from graph.tools.billing import refund_payment_tool

PROMPT = (
    "You issue refunds. Call refund_payment with the order and the amount; refunds always go "
    "back to the payment method that paid. If the store or the policy refuses it, call "
    "raise_attention (problem refund_refused) with why, offering refund_amount (with "
    "details.amount) and no_refund; carry out the chosen remedy. Report the outcome."
)
REMEDIES = {
    "refund_amount": "refund `details.amount` instead (at most what is left to refund; the "
    "refund rules apply)",
    "no_refund": "make no refund (answer the customer by hand)",
}


def refunded(result: dict[str, Any]) -> str:
    return (
        f"refunded {result['refunded']:.2f} on order {result['order_id']} "
        f"to {result['payment_method_id']}"
    )


def refused(order_id: str, amount: Any, result: Any) -> PlaybookStep:
    """The attention item for a refund the store or the policy refused."""
    why = str(result).removeprefix("Error: ")
    return [
        call(
            raise_attention_tool,
            **attention_args(
                problem="refund_refused",
                subject=f"refund on order {order_id}",
                reason=f"a refund of {amount} on order {order_id} was refused: {why}",
                remedies=REMEDIES,
                remedy="no_refund",
                order_id=order_id,
                amount=amount,
            ),
        )
    ]


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    payload = event["payload"]
    order_id = str(payload.get("order_id") or event["entity"].split(":", 1)[-1])
    amount = payload.get("amount", 0)
    tries = results_of(results, refund_payment_tool.name)
    if not tries:
        return [call(refund_payment_tool, order_id=order_id, amount=amount)]
    first = tries[0]
    if isinstance(first, dict) and not is_error(first):
        return refunded(first)
    if by_reviewer(first):
        return f"refund not made: {first}"
    decided = last_result(results, raise_attention_tool.name)
    if decided is None:
        return refused(order_id, amount, first)
    remedy, details = chosen(decided)
    if remedy is None:
        return f"refund not made: {first}; {left_as_is(decided)}"
    if remedy != "refund_amount":
        return f"refund not made: {first}; a reviewer chose no refund"
    if len(tries) < 2:
        again = details.get("amount", amount)
        return [call(refund_payment_tool, order_id=order_id, amount=again)]
    second = tries[1]
    if isinstance(second, dict) and not is_error(second):
        return f"{refunded(second)} (the reviewer's amount)"
    return f"refund not made: {first}; the reviewer's amount was refused too: {second}"


SPECIALIST = Specialist(
    name="refunds",
    domain="billing",
    description="Refunds an order amount to its original payment method; a refusal goes to "
    "a person.",
    prompt=PROMPT,
    tools=(refund_payment_tool, raise_attention_tool),
    playbook=playbook,
)
