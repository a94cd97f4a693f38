"""Shipments the platform reports (its tracking numbers) kept on the store's order, and the
state of an order's fulfilment."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from connectors.orders import get_order, save_order

Conn = AsyncConnection[DictRow]


def tracking_of(order: dict[str, Any]) -> list[str]:
    return [str(t) for f in order.get("fulfillments", []) for t in f.get("tracking_id", [])]


async def fulfilment_status(conn: Conn, *, tenant_id: str, order_id: str) -> dict[str, Any] | str:
    """Whether the order still needs fulfilling: its status, live reservations, tracking."""
    order = await get_order(conn, tenant_id=tenant_id, order_id=order_id)
    if order is None:
        return f"Error: order {order_id} is not in the store"
    cursor = await conn.execute(
        "SELECT item_id, quantity FROM store_reservations"
        " WHERE tenant_id = %s AND order_id = %s AND status = 'reserved' ORDER BY item_id",
        (tenant_id, order_id),
    )
    reserved = {row["item_id"]: int(row["quantity"]) for row in await cursor.fetchall()}
    return {
        "order_id": order_id,
        "status": order["status"],
        "reserved": reserved,
        "tracking": tracking_of(order),
        "needs_fulfilment": order["status"] == "pending" and not reserved,
    }


async def record_shipment(
    conn: Conn, *, tenant_id: str, order_id: str, tracking: list[str]
) -> dict[str, Any] | str:
    """Keep the platform's tracking numbers on the order; say which ones are new."""
    order = await get_order(conn, tenant_id=tenant_id, order_id=order_id, lock=True)
    if order is None:
        return f"Error: order {order_id} is not in the store"
    known = set(tracking_of(order))
    new = [number for number in dict.fromkeys(tracking) if number not in known]
    if new:
        order.setdefault("fulfillments", []).append(
            {"tracking_id": new, "item_ids": [str(i["item_id"]) for i in order["items"]]}
        )
        if order["status"] == "pending":
            order["status"] = "processed"
        await save_order(conn, tenant_id=tenant_id, order=order)
    return {
        "order_id": order_id,
        "new_tracking": new,
        "tracking": tracking_of(order),
        "status": order["status"],
        "customer": order["user_id"],
    }
