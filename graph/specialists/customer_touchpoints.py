"""CRM: a shipment is a touchpoint on the customer's record."""

from __future__ import annotations

from typing import Any

from graph.specialists.one_call import one_call_specialist
from graph.specialists.order_fulfillment import order_id_of
from graph.state import EventData
from graph.tools.engagement import log_touchpoint_tool

PROMPT = (
    "You keep the customer's CRM record current. When an order ships, call log_touchpoint "
    "(kind 'order_shipped') for the order's customer, then report in one sentence."
)


def touchpoint_args(event: EventData) -> dict[str, Any]:
    order_id = order_id_of(event)
    customer = event["payload"].get("customer") or {}
    ref = customer.get("id") if isinstance(customer, dict) else None
    return {
        "kind": "order_shipped",
        "subject": f"order {order_id} shipped",
        "order_id": order_id,
        **({"customer": str(ref)} if ref else {}),
    }


def report(event: EventData, logged: dict[str, Any]) -> str:
    return f"touchpoint logged for {logged['customer']}: order {order_id_of(event)} shipped"


SPECIALIST = one_call_specialist(
    name="customer_touchpoints",
    domain="crm",
    description="Logs what the customer was told (a shipment) on their CRM record.",
    prompt=PROMPT,
    tool=log_touchpoint_tool,
    arguments=touchpoint_args,
    report=report,
    failure="touchpoint not logged for order {order_id}",
)
