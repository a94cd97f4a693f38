"""Ingested events update the local store, so tools see what the platforms just reported."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Json

from connectors.orders import upsert_order_from_event

Conn = AsyncConnection[DictRow]


def product_doc(payload: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """A product payload as a store record (τ-bench's shape); known variants are kept."""
    product_id = str(payload["product_id"])
    doc = dict(existing or {"name": "", "product_id": product_id, "variants": {}})
    if payload.get("name"):
        doc["name"] = payload["name"]
    sku = payload.get("sku")
    if sku:
        variant = dict(doc["variants"].get(str(sku)) or {"item_id": str(sku), "options": {}})
        if payload.get("price") is not None:
            variant["price"] = float(payload["price"])
        variant.setdefault("price", 0.0)
        if payload.get("stock") is not None:
            variant["available"] = int(payload["stock"]) > 0
        variant.setdefault("available", True)
        doc["variants"][str(sku)] = variant
    return doc


async def upsert_product(conn: Conn, *, tenant_id: str, payload: dict[str, Any]) -> None:
    cursor = await conn.execute(
        "SELECT doc FROM store_products WHERE tenant_id = %s AND product_id = %s FOR UPDATE",
        (tenant_id, str(payload["product_id"])),
    )
    row = await cursor.fetchone()
    doc = product_doc(payload, None if row is None else row["doc"])
    await conn.execute(
        """
        INSERT INTO store_products (tenant_id, product_id, position, doc)
        VALUES (%s, %s,
                (SELECT coalesce(max(position), -1) + 1 FROM store_products WHERE tenant_id = %s),
                %s)
        ON CONFLICT (tenant_id, product_id) DO UPDATE SET doc = EXCLUDED.doc
        """,
        (tenant_id, doc["product_id"], tenant_id, Json(doc)),
    )
    sku, stock = payload.get("sku"), payload.get("stock")
    if sku and stock is not None:
        # Only a figure the platform reported: a variant whose stock was never reported is
        # unknown (no row), which is not the same as none.
        await conn.execute(
            """
            INSERT INTO store_stock (tenant_id, item_id, product_id, on_hand)
            VALUES (%s, %s, %s, %s)
            ON CONFLICT (tenant_id, item_id) DO UPDATE
               SET on_hand = EXCLUDED.on_hand, product_id = EXCLUDED.product_id
            """,
            (tenant_id, str(sku), doc["product_id"], int(stock)),
        )


async def upsert_customer(conn: Conn, *, tenant_id: str, payload: dict[str, Any]) -> None:
    user_id = str(payload.get("customer_id") or payload.get("email") or "")
    if not user_id:
        return
    doc = {
        "name": {
            "first_name": payload.get("first_name", ""),
            "last_name": payload.get("last_name", ""),
        },
        "address": {},
        "email": payload.get("email", ""),
        "payment_methods": {},
        "orders": [],
    }
    await conn.execute(
        """
        INSERT INTO store_users (tenant_id, user_id, position, doc)
        VALUES (%s, %s,
                (SELECT coalesce(max(position), -1) + 1 FROM store_users WHERE tenant_id = %s),
                %s)
        ON CONFLICT (tenant_id, user_id) DO NOTHING
        """,
        (tenant_id, user_id, tenant_id, Json(doc)),
    )


def mirrored_kind(event_type: str, payload: dict[str, Any]) -> str | None:
    """Which store record an event updates (`order`, `product`, `customer`), if any: the
    runner skips the mirror, and its ledger transaction, for events that update none."""
    kind = event_type.split(".", 1)[0]
    if kind == "order" and payload.get("order_id"):
        return "order"
    if kind in ("product", "stock") and payload.get("product_id"):
        return "product"
    if kind == "customer":
        return "customer"
    return None


async def upsert_from_event(
    conn: Conn, *, tenant_id: str, event_type: str, payload: dict[str, Any]
) -> bool:
    """Mirror what an event reports into the store; True when it touched a record."""
    kind = mirrored_kind(event_type, payload)
    if kind == "order":
        await upsert_order_from_event(
            conn, tenant_id=tenant_id, event_type=event_type, payload=payload
        )
    elif kind == "product":
        await upsert_product(conn, tenant_id=tenant_id, payload=payload)
    elif kind == "customer":
        await upsert_customer(conn, tenant_id=tenant_id, payload=payload)
    return kind is not None
