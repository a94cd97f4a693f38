"""CRM: a shipment is a touchpoint on the customer's record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.specialists.order_fulfillment import order_id_of
from graph.state import EventData
from graph.tools.engagement import log_touchpoint_tool

PROMPT = (
    "You keep the customer's CRM record current. When an order ships, call log_touchpoint "
    "(kind 'order_shipped') for the order's customer, then report in one sentence."
)


def customer_args(event: EventData) -> dict[str, Any]:
    customer = event["payload"].get("customer") or {}
    ref = customer.get("id") if isinstance(customer, dict) else None
    return {"customer": str(ref)} if ref else {}


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    order_id = order_id_of(event)
    logged = last_result(results, log_touchpoint_tool.name)
    if logged is None:
        return [
            call(
                log_touchpoint_tool,
                kind="order_shipped",
                subject=f"order {order_id} shipped",
                order_id=order_id,
                **customer_args(event),
            )
        ]
    if is_error(logged) or not isinstance(logged, dict):
        return f"touchpoint not logged for order {order_id}: {logged}"
    return f"touchpoint logged for {logged['customer']}: order {order_id} shipped"


SPECIALIST = Specialist(
    name="customer_touchpoints",
    domain="crm",
    description="Logs what the customer was told (a shipment) on their CRM record.",
    prompt=PROMPT,
    tools=(log_touchpoint_tool,),
    playbook=playbook,
)
