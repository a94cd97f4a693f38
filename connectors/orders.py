"""Orders as the store keeps them (τ-bench's record shape), fed from ingested events."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Json

from connectors.order_states import order_state
from runtime.order_lines import whole_quantity

Conn = AsyncConnection[DictRow]


async def get_order(conn: Conn, *, tenant_id: str, order_id: str, lock: bool = False) -> Any:
    query = "SELECT doc FROM store_orders WHERE tenant_id = %s AND order_id = %s"
    cursor = await conn.execute(query + (" FOR UPDATE" if lock else ""), (tenant_id, order_id))
    row = await cursor.fetchone()
    return None if row is None else row["doc"]


async def save_order(conn: Conn, *, tenant_id: str, order: dict[str, Any]) -> None:
    """Insert or replace an order record; a new one goes after the existing ones."""
    await conn.execute(
        """
        INSERT INTO store_orders (tenant_id, order_id, user_id, status, position, doc)
        VALUES (%s, %s, %s, %s,
                (SELECT coalesce(max(position), -1) + 1 FROM store_orders WHERE tenant_id = %s),
                %s)
        ON CONFLICT (tenant_id, order_id)
        DO UPDATE SET user_id = EXCLUDED.user_id, status = EXCLUDED.status, doc = EXCLUDED.doc
        """,
        (tenant_id, order["order_id"], order["user_id"], order["status"], tenant_id, Json(order)),
    )


def customer_ref(payload: dict[str, Any]) -> str:
    customer = payload.get("customer") or {}
    return str(customer.get("id") or payload.get("email") or "guest")


def units(item: dict[str, Any]) -> int:
    """How many units an item record stands for: τ-bench's records are one unit each."""
    return int(item.get("quantity", 1))


def item_quantities(order: dict[str, Any]) -> dict[str, int]:
    """Units per item id over the order's records, in order of first appearance."""
    quantities: dict[str, int] = {}
    for item in order.get("items", []):
        item_id = str(item["item_id"])
        quantities[item_id] = quantities.get(item_id, 0) + units(item)
    return quantities


def line_item(line: dict[str, Any]) -> dict[str, Any] | None:
    """One order line as one item record (τ-bench's fields); several units carry a quantity.

    τ-bench's seed orders repeat a record per unit; a mirrored line is kept as one record so
    a line's size costs nothing, and a one-unit line looks exactly like a seed record.
    """
    try:
        quantity = whole_quantity(line.get("quantity"))
    except ValueError:
        return None
    if quantity <= 0:
        return None
    item: dict[str, Any] = {
        "name": line.get("name", ""),
        "product_id": line.get("product_id") or line.get("sku", ""),
        "item_id": str(line.get("sku") or line.get("item_id") or ""),
        "price": float(line.get("unit_price") or 0),
        "options": {},
    }
    if quantity > 1:
        item["quantity"] = quantity
    return item


def line_items(lines: Any) -> list[dict[str, Any]]:
    if not isinstance(lines, list):
        return []
    found = (line_item(line) for line in lines if isinstance(line, dict))
    return [item for item in found if item is not None]


def order_doc(payload: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """A canonical order payload as a store record; what the store already knows is kept."""
    order_id = str(payload["order_id"])
    items = line_items(payload.get("lines"))
    doc = dict(existing or {})
    doc.setdefault("order_id", order_id)
    doc.setdefault("user_id", customer_ref(payload))
    doc.setdefault("address", {})
    doc.setdefault("fulfillments", [])
    doc.setdefault("status", "pending")
    if items or "items" not in doc:
        doc["items"] = items
    if "payment_history" not in doc:
        total = payload.get("total")
        method = payload.get("payment_method") or "external"
        doc["payment_history"] = (
            [{"transaction_type": "payment", "amount": float(total), "payment_method_id": method}]
            if total is not None
            else []
        )
    return doc


async def upsert_order_from_event(
    conn: Conn, *, tenant_id: str, event_type: str, payload: dict[str, Any]
) -> dict[str, Any] | None:
    """Mirror an order event into the store so tools see the order as the platform does."""
    if not payload.get("order_id"):
        return None
    existing = await get_order(
        conn, tenant_id=tenant_id, order_id=str(payload["order_id"]), lock=True
    )
    doc = order_doc(payload, existing)
    status = {"order.cancelled": "cancelled", "order.fulfilled": "delivered"}.get(event_type)
    if event_type == "order.updated" and order_state(payload) == "cancelled":
        status = "cancelled"
    if status:
        doc["status"] = status
    await save_order(conn, tenant_id=tenant_id, order=doc)
    return doc


def tracking_id(idempotency_key: str) -> str:
    """A stable 12-digit tracking number derived from the action's idempotency key."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
    return str(int(digest[:15], 16))[-12:].rjust(12, "0")


async def add_fulfillment(
    conn: Conn, *, tenant_id: str, order_id: str, item_ids: list[str], idempotency_key: str
) -> dict[str, Any] | str:
    order = await get_order(conn, tenant_id=tenant_id, order_id=order_id, lock=True)
    if order is None:
        return "Error: order not found"
    if order["status"] != "pending":
        return f"Error: order is {order['status']}, not pending"
    fulfillment: dict[str, Any] = {
        "tracking_id": [tracking_id(idempotency_key)],
        "item_ids": item_ids,
    }
    if any(units(item) != 1 for item in order.get("items", [])):
        fulfillment["quantities"] = item_quantities(order)
    order["fulfillments"].append(fulfillment)
    order["status"] = "processed"
    await save_order(conn, tenant_id=tenant_id, order=order)
    return {"order_id": order_id, "status": "processed", **fulfillment}


def order_total(order: dict[str, Any]) -> float:
    return round(sum(float(item["price"]) * units(item) for item in order.get("items", [])), 2)


def summarize(order: dict[str, Any]) -> str:
    return json.dumps(
        {
            "order_id": order["order_id"],
            "status": order["status"],
            "total": order_total(order),
            "items": sum(units(item) for item in order.get("items", [])),
        }
    )


async def cancel_order(
    conn: Conn, *, tenant_id: str, order_id: str, reason: str
) -> dict[str, Any] | str:
    """Cancel a pending order and refund every payment to the method that made it."""
    order = await get_order(conn, tenant_id=tenant_id, order_id=order_id, lock=True)
    if order is None:
        return "Error: order not found"
    if order["status"] == "cancelled":
        return {"order_id": order_id, "status": "cancelled", "refunds": []}
    if order["status"] != "pending":
        return f"Error: order is {order['status']}; only pending orders can be cancelled"
    refunds = [
        {
            "transaction_type": "refund",
            "amount": p["amount"],
            "payment_method_id": p["payment_method_id"],
        }
        for p in order.get("payment_history", [])
        if p["transaction_type"] == "payment"
    ]
    order["status"] = "cancelled"
    order["cancel_reason"] = reason
    order.setdefault("payment_history", []).extend(refunds)
    await save_order(conn, tenant_id=tenant_id, order=order)
    return {"order_id": order_id, "status": "cancelled", "refunds": refunds}
