"""What merchandising reads from the store: a product, how it sells against the rest, what
it is bought with, what it costs us; and the one write, a variant's price."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Json

Conn = AsyncConnection[DictRow]


async def get_product(conn: Conn, *, tenant_id: str, product_id: str) -> dict[str, Any] | None:
    cursor = await conn.execute(
        "SELECT doc FROM store_products WHERE tenant_id = %s AND product_id = %s",
        (tenant_id, product_id),
    )
    row = await cursor.fetchone()
    return None if row is None else dict(row["doc"])


async def sales_standing(conn: Conn, *, tenant_id: str, product_id: str) -> tuple[int, int]:
    """Units this product sold and units the best seller sold, over the store's orders
    (cancelled ones left out): one pass over the orders, each order's items parsed once."""
    cursor = await conn.execute(
        """
        SELECT coalesce(sum(sold) FILTER (WHERE product_id = %s), 0) AS mine,
               coalesce(max(sold), 0) AS best
          FROM (SELECT i.product_id, sum(coalesce(i.quantity, 1)) AS sold
                  FROM store_orders o,
                       json_to_recordset(o.doc->'items') AS i(product_id text, quantity numeric)
                 WHERE o.tenant_id = %s AND o.status <> 'cancelled'
                 GROUP BY 1) per_product
        """,
        (product_id, tenant_id),
    )
    row = await cursor.fetchone()
    return (0, 0) if row is None else (int(row["mine"]), int(row["best"]))


def literal_in_json(product_id: str) -> str:
    """What an order's JSON text must contain to name this product: the id itself when JSON
    writes it unescaped (ASCII letters and digits), else nothing (no prefilter)."""
    return product_id if product_id.isascii() and product_id.isalnum() else ""


async def bought_with(
    conn: Conn, *, tenant_id: str, product_id: str, limit: int = 5
) -> list[dict[str, Any]]:
    """The products found in the same orders as this one, most often first, with their docs.

    Orders whose text cannot name the product are skipped before their items are parsed."""
    cursor = await conn.execute(
        """
        SELECT together.product_id, together.orders, p.doc
          FROM (SELECT j->>'product_id' AS product_id, count(DISTINCT o.order_id) AS orders
                  FROM store_orders o,
                       json_array_elements(o.doc->'items') i,
                       json_array_elements(o.doc->'items') j
                 WHERE o.tenant_id = %s AND o.status <> 'cancelled'
                   AND strpos(o.doc::text, %s) > 0
                   AND i->>'product_id' = %s AND j->>'product_id' <> %s
                 GROUP BY 1) together
          JOIN store_products p ON p.tenant_id = %s AND p.product_id = together.product_id
         ORDER BY together.orders DESC, together.product_id LIMIT %s
        """,
        (tenant_id, literal_in_json(product_id), product_id, product_id, tenant_id, limit),
    )
    return [
        {"product_id": r["product_id"], "orders": int(r["orders"]), "doc": r["doc"]}
        for r in await cursor.fetchall()
    ]


async def last_unit_cost(conn: Conn, *, tenant_id: str, item_id: str) -> float | None:
    """What we last proposed to pay for a variant (a reorder proposal), if anything."""
    cursor = await conn.execute(
        "SELECT unit_cost FROM store_reorders WHERE tenant_id = %s AND item_id = %s"
        " ORDER BY created_at DESC LIMIT 1",
        (tenant_id, item_id),
    )
    row = await cursor.fetchone()
    return None if row is None else float(row["unit_cost"])


async def variant_price(conn: Conn, *, tenant_id: str, item_id: str) -> float | None:
    cursor = await conn.execute(
        "SELECT (doc->'variants'->%s->>'price')::numeric AS price FROM store_products"
        " WHERE tenant_id = %s AND doc->'variants'->%s IS NOT NULL LIMIT 1",
        (item_id, tenant_id, item_id),
    )
    row = await cursor.fetchone()
    return None if row is None or row["price"] is None else float(row["price"])


async def set_variant_price(
    conn: Conn, *, tenant_id: str, product_id: str, item_id: str, price: float
) -> dict[str, Any] | str:
    cursor = await conn.execute(
        "SELECT doc FROM store_products WHERE tenant_id = %s AND product_id = %s FOR UPDATE",
        (tenant_id, product_id),
    )
    row = await cursor.fetchone()
    if row is None or item_id not in row["doc"]["variants"]:
        return f"Error: variant {item_id} of product {product_id} is not in the store"
    doc = dict(row["doc"])
    old = float(doc["variants"][item_id]["price"])
    doc["variants"][item_id]["price"] = price
    await conn.execute(
        "UPDATE store_products SET doc = %s WHERE tenant_id = %s AND product_id = %s",
        (Json(doc), tenant_id, product_id),
    )
    return {"product_id": product_id, "item_id": item_id, "old_price": old, "price": price}
