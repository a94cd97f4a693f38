"""Billing: refund to the original payment method."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.billing import refund_payment_tool

PROMPT = (
    "You issue refunds. Call refund_payment with the order and the amount; refunds always go "
    "back to the payment method that paid. Report the outcome."
)


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    refunded = last_result(results, refund_payment_tool.name)
    payload = event["payload"]
    if refunded is None:
        order_id = str(payload.get("order_id") or event["entity"].split(":", 1)[-1])
        return [call(refund_payment_tool, order_id=order_id, amount=payload.get("amount", 0))]
    if is_error(refunded) or not isinstance(refunded, dict):
        return f"refund not made: {refunded}"
    return (
        f"refunded {refunded['refunded']:.2f} on order {refunded['order_id']} "
        f"to {refunded['payment_method_id']}"
    )


SPECIALIST = Specialist(
    name="refunds",
    domain="billing",
    description="Refunds an order amount to its original payment method.",
    prompt=PROMPT,
    tools=(refund_payment_tool,),
    playbook=playbook,
)
