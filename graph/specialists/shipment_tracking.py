"""E-commerce: a shipment the platform reports becomes the customer's tracking notice."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.specialists.order_fulfillment import email_args, order_id_of
from graph.state import EventData
from graph.tools.orders import record_shipment_tool, send_order_notice_tool

PROMPT = (
    "You tell customers their order shipped. Call record_shipment with the order and the "
    "tracking numbers the platform reported; if any are new, or the order has none at all, "
    "send_order_notice (notice 'shipped') with the new tracking numbers. Report in one sentence."
)


def reported_tracking(event: EventData) -> list[str]:
    tracking = event["payload"].get("tracking") or []
    return [str(number) for number in tracking] if isinstance(tracking, list) else []


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    order_id = order_id_of(event)
    recorded = last_result(results, record_shipment_tool.name)
    if recorded is None:
        return [call(record_shipment_tool, order_id=order_id, tracking=reported_tracking(event))]
    if is_error(recorded) or not isinstance(recorded, dict):
        return f"shipment of {order_id} not recorded: {recorded}"
    if recorded["tracking"] and not recorded["new_tracking"]:
        return f"order {order_id}: the customer already has tracking {recorded['tracking']}"
    notice = last_result(results, send_order_notice_tool.name)
    if notice is None:
        return [
            call(
                send_order_notice_tool,
                order_id=order_id,
                notice="shipped",
                tracking=recorded["new_tracking"],
                **email_args(event),
            )
        ]
    if is_error(notice) or not isinstance(notice, dict):
        return f"order {order_id} shipped; tracking notice not sent: {notice}"
    numbers = ", ".join(recorded["new_tracking"]) or "to follow"
    return f"order {order_id} shipped: tracking {numbers} sent to {notice['to']}"


SPECIALIST = Specialist(
    name="shipment_tracking",
    domain="ecommerce",
    description="Records the platform's shipment and sends the customer the tracking notice.",
    prompt=PROMPT,
    tools=(record_shipment_tool, send_order_notice_tool),
    playbook=playbook,
)
