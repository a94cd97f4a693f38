"""Stock the store has never had a figure for is unknown, not zero (issue 9, item 4): it is
learned only from what the platform reports, and an order for it names what is unknown."""

from __future__ import annotations

from typing import Any

from connectors.ingest import upsert_from_event
from runtime.database import Pool
from tests.connectors.test_orders import mirror, new_id, order_payload, pool, run_tool, stock

__all__ = ["pool"]


async def product_event(pool: Pool, payload: dict[str, Any], event_type: str) -> None:
    async with pool.connection() as conn:
        await upsert_from_event(conn, tenant_id="default", event_type=event_type, payload=payload)


async def on_hand_rows(pool: Pool, item_id: str) -> int:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT count(*) AS n FROM store_stock WHERE tenant_id = 'default' AND item_id = %s",
            (item_id,),
        )
        row = await cursor.fetchone()
    return int(row["n"]) if row else 0


async def test_a_product_event_without_a_stock_figure_leaves_the_stock_unknown(
    pool: Pool,
) -> None:
    sku = new_id("SKU")
    await product_event(
        pool, {"product_id": new_id("P"), "sku": sku, "name": "Lamp"}, "product.created"
    )
    assert await on_hand_rows(pool, sku) == 0

    order_id = new_id("W")
    await mirror(pool, order_payload(order_id, {"sku": sku, "quantity": 1, "unit_price": 5}))
    held = await run_tool(pool, "reserve_stock", {"order_id": order_id})

    assert held == {
        "order_id": order_id,
        "reserved": False,
        "short": {},
        "available": {},
        "unknown": [sku],
    }


async def test_reported_stock_is_learned_and_later_reports_replace_it(pool: Pool) -> None:
    sku, product = new_id("SKU"), new_id("P")
    await product_event(pool, {"product_id": product, "sku": sku, "stock": 4}, "stock.updated")
    assert await stock(pool, sku) == (4, 0)
    await product_event(pool, {"product_id": product, "sku": sku, "stock": 0}, "stock.out")
    assert await stock(pool, sku) == (0, 0)


async def test_a_line_with_no_sku_is_unknown_beside_a_short_one(pool: Pool) -> None:
    sku, product = new_id("SKU"), new_id("P")
    await product_event(pool, {"product_id": product, "sku": sku, "stock": 1}, "stock.updated")
    order_id = new_id("W")
    await mirror(
        pool,
        order_payload(
            order_id,
            {"sku": sku, "quantity": 3, "unit_price": 5},
            {"name": "Gift wrap", "quantity": 8, "unit_price": 1},
        ),
    )

    held = await run_tool(pool, "reserve_stock", {"order_id": order_id})

    assert held["reserved"] is False
    assert held["short"] == {sku: 2}
    assert held["available"] == {sku: 1}
    assert held["unknown"] == [""]
    assert await stock(pool, sku) == (1, 0)  # nothing was held
