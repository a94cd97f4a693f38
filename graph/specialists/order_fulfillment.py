"""E-commerce: reserve stock, ship and confirm an order (a paid one only if that is not
done yet); when it is cancelled, release its stock and tell the customer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from connectors.order_states import order_state
from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.specialists.order_problems import ORDER_PROBLEM_TOOLS, stock_problem
from graph.specialists.order_problems import PROMPT as PROBLEM_PROMPT
from graph.state import EventData
from graph.tools.ecommerce import (
    create_fulfillment_tool,
    release_stock_tool,
    reserve_stock_tool,
    send_order_confirmation_tool,
)
from graph.tools.orders import get_fulfilment_status_tool, send_order_notice_tool

PROMPT = (
    "You fulfil orders. For a new order: reserve_stock; if everything is reserved, "
    "create_fulfillment and then send_order_confirmation to the customer's email. For a "
    "paid order, first get_fulfilment_status and fulfil only if it still needs fulfilment. "
    "For a cancelled order: release_stock, then send_order_notice (notice 'cancelled'). "
    "Report what you did in one sentence. " + PROBLEM_PROMPT
)


def order_id_of(event: EventData) -> str:
    return str(event["payload"].get("order_id") or event["entity"].split(":", 1)[-1])


def moved_to(event: EventData) -> str:
    """created, paid or cancelled: what happened to the order, whichever event said so."""
    if event["type"] == "order.updated":
        return order_state(event["payload"])
    return event["type"].removeprefix("order.")


def email_args(event: EventData) -> dict[str, Any]:
    email = event["payload"].get("email")
    return {"email": str(email)} if email else {}


def cancelled(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    order_id = order_id_of(event)
    released = last_result(results, release_stock_tool.name)
    if released is None:
        return [call(release_stock_tool, order_id=order_id)]
    notice = last_result(results, send_order_notice_tool.name)
    if notice is None:
        return [
            call(send_order_notice_tool, order_id=order_id, notice="cancelled", **email_args(event))
        ]
    if is_error(notice) or not isinstance(notice, dict):
        return f"order {order_id} cancelled: released {released}; customer not told: {notice}"
    return f"order {order_id} cancelled: released {released}; customer told at {notice['to']}"


def already_done(status: dict[str, Any]) -> str:
    if status["tracking"]:
        return f"already shipped (tracking {', '.join(status['tracking'])})"
    if status["reserved"]:
        return "already under way (stock reserved)"
    return f"not needed (the order is {status['status']})"


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    order_id = order_id_of(event)
    state = moved_to(event)
    if state == "cancelled":
        return cancelled(event, results)
    if state == "paid":
        status = last_result(results, get_fulfilment_status_tool.name)
        if status is None:
            return [call(get_fulfilment_status_tool, order_id=order_id)]
        if is_error(status) or not isinstance(status, dict):
            return f"could not read order {order_id}: {status}"
        if not status["needs_fulfilment"]:
            return f"order {order_id} paid; fulfilment {already_done(status)}"
    reserved = last_result(results, reserve_stock_tool.name)
    if reserved is None:
        return [call(reserve_stock_tool, order_id=order_id)]
    if is_error(reserved) or not isinstance(reserved, dict):
        return f"could not reserve stock for {order_id}: {reserved}"
    if not reserved["reserved"]:
        return stock_problem(event, results, order_id, reserved)
    shipped = last_result(results, create_fulfillment_tool.name)
    if shipped is None:
        return [call(create_fulfillment_tool, order_id=order_id)]
    if is_error(shipped) or not isinstance(shipped, dict):
        return f"order {order_id} reserved but not shipped: {shipped}"
    if "tracking_id" not in shipped:  # the reviewer chose another action (a cancellation)
        return f"order {order_id} not shipped: {shipped.get('status') or shipped}"
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
    description=(
        "Reserves stock, ships and confirms an order (a paid one if not done yet); releases "
        "stock and tells the customer when it is cancelled."
    ),
    prompt=PROMPT,
    tools=(
        reserve_stock_tool,
        create_fulfillment_tool,
        send_order_confirmation_tool,
        release_stock_tool,
        get_fulfilment_status_tool,
        send_order_notice_tool,
        *ORDER_PROBLEM_TOOLS,
    ),
    playbook=playbook,
)
