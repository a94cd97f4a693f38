"""Order lifecycle tools: whether an order still needs fulfilling, shipments the platform
reports, and the notices that tell the customer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from connectors.engagement import customer_email
from connectors.orders import get_order
from connectors.outbox import enqueue_email
from connectors.shipments import fulfilment_status, record_shipment, tracking_of
from graph.tools.base import ToolEnv, effect_tool, reader_tool


class OrderRef(BaseModel):
    """An order in the store."""

    order_id: str = Field(min_length=1)


async def order_fulfilment(env: ToolEnv, args: OrderRef) -> dict[str, Any] | str:
    return await fulfilment_status(env.conn, tenant_id=env.tenant_id, order_id=args.order_id)


get_fulfilment_status_tool = reader_tool(
    name="get_fulfilment_status",
    description=(
        "An order's status, its live stock reservations and tracking numbers, and whether "
        "it still needs fulfilling (pending, nothing reserved)."
    ),
    args_schema=OrderRef,
    body=order_fulfilment,
)


class Shipment(BaseModel):
    """Tracking numbers the platform reported for an order."""

    order_id: str = Field(min_length=1)
    tracking: list[str] = Field(default_factory=list, max_length=50)


async def keep_shipment(env: ToolEnv, args: Shipment) -> dict[str, Any] | str:
    return await record_shipment(
        env.conn, tenant_id=env.tenant_id, order_id=args.order_id, tracking=args.tracking
    )


record_shipment_tool = effect_tool(
    name="record_shipment",
    description=(
        "Record the platform's tracking numbers on the order; answers which are new and "
        "every tracking number the order has."
    ),
    args_schema=Shipment,
    body=keep_shipment,
)


class OrderNotice(BaseModel):
    """A notice to an order's customer; the address defaults to the customer's on record."""

    order_id: str = Field(min_length=1)
    notice: Literal["cancelled", "shipped"]
    email: str | None = None
    tracking: list[str] = Field(default_factory=list, max_length=50)


SUBJECTS = {
    "cancelled": "Your order {order_id} has been cancelled",
    "shipped": "Your order {order_id} has shipped",
}
BODIES = {
    "cancelled": (
        "Your order {order_id} has been cancelled. Any payment is refunded to the method "
        "that paid; please allow a few days for it to appear."
    ),
    "shipped": "Your order {order_id} is on its way.\n\nTracking: {tracking}\n",
}


async def notify(env: ToolEnv, args: OrderNotice) -> dict[str, Any] | str:
    order = await get_order(env.conn, tenant_id=env.tenant_id, order_id=args.order_id)
    recipient = args.email
    if recipient is None and order is not None:
        recipient = await customer_email(
            env.conn, tenant_id=env.tenant_id, user_id=str(order["user_id"])
        )
    if not recipient:
        return f"Error: no email address on record for order {args.order_id}'s customer"
    tracking = args.tracking or (tracking_of(order) if order is not None else [])
    message_id = await enqueue_email(
        env.conn,
        tenant_id=env.tenant_id,
        idempotency_key=env.idempotency_key,
        recipient=recipient,
        subject=SUBJECTS[args.notice].format(order_id=args.order_id),
        body=BODIES[args.notice].format(
            order_id=args.order_id, tracking=", ".join(tracking) or "to follow"
        ),
    )
    return {"message_id": str(message_id), "to": recipient, "notice": args.notice}


send_order_notice_tool = effect_tool(
    name="send_order_notice",
    description=(
        "Email an order's customer that it was cancelled or has shipped (with tracking); "
        "the address defaults to the customer's on record."
    ),
    args_schema=OrderNotice,
    body=notify,
)


class OrderNote(BaseModel):
    """A note an agent keeps on an order, under a key (a second note with the key replaces it)."""

    order_id: str = Field(min_length=1)
    key: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    note: str = Field(min_length=1, max_length=2000)


async def keep_note(env: ToolEnv, args: OrderNote) -> dict[str, Any] | str:
    backend = await env.commerce()
    return await backend.write_note(
        args.order_id,
        key=f"opsgraph.{args.key}",
        value=args.note,
        idempotency_key=env.idempotency_key,
    )


add_order_note_tool = effect_tool(
    name="add_order_note",
    description=(
        "Keep a note on the order where its staff see it (a Saleor shop: the order's "
        "metadata, key opsgraph.<key>); the same note again changes nothing."
    ),
    args_schema=OrderNote,
    body=keep_note,
)

ORDER_TOOLS = (
    get_fulfilment_status_tool,
    record_shipment_tool,
    send_order_notice_tool,
    add_order_note_tool,
)
