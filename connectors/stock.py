"""Stock levels and per-order reservations."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

Conn = AsyncConnection[DictRow]


def seed_quantity(item_id: str, available: bool) -> int:
    """A deterministic opening stock for a seeded variant: none when it is unavailable."""
    return 5 + int(item_id) % 40 if available and item_id.isdigit() else 0


async def seed_stock(conn: Conn, *, tenant_id: str) -> int:
    """Stock rows for every variant in the store's products that has none yet."""
    cursor = await conn.execute(
        "SELECT product_id, doc FROM store_products WHERE tenant_id = %s", (tenant_id,)
    )
    rows = [
        (tenant_id, item_id, product["product_id"], seed_quantity(item_id, bool(v["available"])))
        for product in (row["doc"] for row in await cursor.fetchall())
        for item_id, v in product["variants"].items()
    ]
    async with conn.cursor() as cur:
        await cur.executemany(
            "INSERT INTO store_stock (tenant_id, item_id, product_id, on_hand)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            rows,
        )
    return len(rows)


async def stock_levels(conn: Conn, *, tenant_id: str, item_ids: list[str]) -> dict[str, int]:
    """Available (on hand minus reserved) per item; items we do not stock are absent."""
    cursor = await conn.execute(
        "SELECT item_id, on_hand - reserved AS available FROM store_stock"
        " WHERE tenant_id = %s AND item_id = ANY(%s)",
        (tenant_id, item_ids),
    )
    return {row["item_id"]: int(row["available"]) for row in await cursor.fetchall()}


STOCK_RECORDS = """
SELECT s.item_id, s.product_id, s.on_hand - s.reserved AS available,
       (p.doc->'variants'->s.item_id->>'price')::numeric AS price
  FROM store_stock s
  LEFT JOIN store_products p ON p.tenant_id = s.tenant_id AND p.product_id = s.product_id
 WHERE s.tenant_id = %s AND s.item_id = ANY(%s)
"""


async def stock_records(
    conn: Conn, *, tenant_id: str, item_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """Per stocked item: its product, available units and the product's variant price
    (None when the store has no price for it); items we do not stock are absent."""
    cursor = await conn.execute(STOCK_RECORDS, (tenant_id, item_ids))
    return {str(row["item_id"]): dict(row) for row in await cursor.fetchall()}


async def reserve(
    conn: Conn, *, tenant_id: str, order_id: str, quantities: dict[str, int]
) -> dict[str, Any]:
    """Reserve every item of an order, or none: nothing is held unless all of it can be.

    `short` names the items the store stocks too few of (units missing), `available` what
    it has of them; `unknown` the items it has never had a stock figure for (an item with
    no SKU, `""`, among them): unknown is not zero, a person finds out which it is."""
    items = sorted(quantities)
    cursor = await conn.execute(
        "SELECT item_id, on_hand - reserved AS available FROM store_stock"
        " WHERE tenant_id = %s AND item_id = ANY(%s) ORDER BY item_id FOR UPDATE",
        (tenant_id, [item for item in items if item]),
    )
    available = {row["item_id"]: int(row["available"]) for row in await cursor.fetchall()}
    unknown = [item for item in items if item not in available]
    short = {
        item: quantities[item] - available[item]
        for item in items
        if item in available and available[item] < quantities[item]
    }
    if short or unknown:
        return {
            "order_id": order_id,
            "reserved": False,
            "short": short,
            "available": {item: max(available[item], 0) for item in short},
            "unknown": unknown,
        }
    for item in items:
        await conn.execute(
            "UPDATE store_stock SET reserved = reserved + %s WHERE tenant_id = %s AND item_id = %s",
            (quantities[item], tenant_id, item),
        )
        await conn.execute(
            """
            INSERT INTO store_reservations (tenant_id, order_id, item_id, quantity, status)
            VALUES (%s, %s, %s, %s, 'reserved')
            ON CONFLICT (tenant_id, order_id, item_id)
            DO UPDATE SET quantity = EXCLUDED.quantity, status = 'reserved'
            """,
            (tenant_id, order_id, item, quantities[item]),
        )
    return {"order_id": order_id, "reserved": True, "items": quantities}


async def release(conn: Conn, *, tenant_id: str, order_id: str) -> dict[str, Any]:
    """Give back an order's reserved stock (the compensation of `reserve`)."""
    cursor = await conn.execute(
        "UPDATE store_reservations SET status = 'released'"
        " WHERE tenant_id = %s AND order_id = %s AND status = 'reserved'"
        " RETURNING item_id, quantity",
        (tenant_id, order_id),
    )
    released = {row["item_id"]: int(row["quantity"]) for row in await cursor.fetchall()}
    for item, quantity in released.items():
        await conn.execute(
            "UPDATE store_stock SET reserved = reserved - %s WHERE tenant_id = %s AND item_id = %s",
            (quantity, tenant_id, item),
        )
    return {"order_id": order_id, "released": released}


async def ship(conn: Conn, *, tenant_id: str, order_id: str) -> dict[str, int]:
    """Turn an order's reservations into shipped stock (on hand goes down)."""
    cursor = await conn.execute(
        "UPDATE store_reservations SET status = 'shipped'"
        " WHERE tenant_id = %s AND order_id = %s AND status = 'reserved'"
        " RETURNING item_id, quantity",
        (tenant_id, order_id),
    )
    shipped = {row["item_id"]: int(row["quantity"]) for row in await cursor.fetchall()}
    for item, quantity in shipped.items():
        await conn.execute(
            "UPDATE store_stock SET reserved = reserved - %s, on_hand = on_hand - %s"
            " WHERE tenant_id = %s AND item_id = %s",
            (quantity, quantity, tenant_id, item),
        )
    return shipped
