"""E-commerce: reserve stock, ship, and confirm a new order; release stock when cancelled."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.ecommerce import (
    create_fulfillment_tool,
    release_stock_tool,
    reserve_stock_tool,
    send_order_confirmation_tool,
)

PROMPT = (
    "You fulfil orders. For a new order: reserve_stock; if everything is reserved, "
    "create_fulfillment and then send_order_confirmation to the customer's email. "
    "For a cancelled order: release_stock. Report what you did in one sentence."
)


def order_id_of(event: EventData) -> str:
    return str(event["payload"].get("order_id") or event["entity"].split(":", 1)[-1])


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    order_id = order_id_of(event)
    if event["type"] == "order.cancelled":
        released = last_result(results, release_stock_tool.name)
        if released is None:
            return [call(release_stock_tool, order_id=order_id)]
        return f"order {order_id} cancelled: released {released}"
    reserved = last_result(results, reserve_stock_tool.name)
    if reserved is None:
        return [call(reserve_stock_tool, order_id=order_id)]
    if is_error(reserved) or not isinstance(reserved, dict):
        return f"could not reserve stock for {order_id}: {reserved}"
    if not reserved["reserved"]:
        return f"order {order_id} on hold: not enough stock for {reserved['short']}"
    shipped = last_result(results, create_fulfillment_tool.name)
    if shipped is None:
        return [call(create_fulfillment_tool, order_id=order_id)]
    if is_error(shipped) or not isinstance(shipped, dict):
        return f"order {order_id} reserved but not shipped: {shipped}"
    email = event["payload"].get("email")
    confirmed = last_result(results, send_order_confirmation_tool.name)
    if email and confirmed is None:
        return [call(send_order_confirmation_tool, order_id=order_id, email=email)]
    tracking = ", ".join(shipped["tracking_id"])
    if is_error(confirmed):
        return f"order {order_id} shipped with tracking {tracking}; confirmation failed"
    return f"order {order_id} shipped with tracking {tracking}"


SPECIALIST = Specialist(
    name="order_fulfillment",
    domain="ecommerce",
    description="Reserves stock, creates the fulfillment and confirms the order by email.",
    prompt=PROMPT,
    tools=(
        reserve_stock_tool,
        create_fulfillment_tool,
        send_order_confirmation_tool,
        release_stock_tool,
    ),
    playbook=playbook,
)
