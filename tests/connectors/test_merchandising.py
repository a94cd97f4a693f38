"""Merchandising's store reads on a tenant of their own: a product's sales against the best
seller in one pass, and what it is bought with (the text prefilter skips no order that
names the product, whatever its id looks like)."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg.types.json import Json

from connectors.merchandising import bought_with, literal_in_json, sales_standing
from connectors.orders import save_order
from runtime.resources import Resources

TENANT = "merch-store"
PRODUCTS = ("p1", "p10", "bûche-1", "lamp")
ORDERS: list[tuple[str, list[tuple[str, int | None]]]] = [
    ("delivered", [("p1", 2), ("p10", 1)]),
    ("delivered", [("p10", 3), ("bûche-1", None), ("lamp", 1)]),
    ("pending", [("bûche-1", 4), ("p1", 1)]),
    ("cancelled", [("p1", 50), ("lamp", 50)]),
]


def item(product_id: str, quantity: int | None) -> dict[str, Any]:
    line: dict[str, Any] = {"name": product_id, "product_id": product_id, "item_id": "i"}
    return line if quantity is None else line | {"quantity": quantity}


@pytest.fixture(scope="module")
async def store(resources: Resources) -> Resources:
    async with resources.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (TENANT, TENANT),
        )
        for position, product_id in enumerate(PRODUCTS):
            doc = {"name": product_id.title(), "product_id": product_id, "variants": {}}
            await conn.execute(
                "INSERT INTO store_products (tenant_id, product_id, position, doc)"
                " VALUES (%s, %s, %s, %s)",
                (TENANT, product_id, position, Json(doc)),
            )
        for number, (status, lines) in enumerate(ORDERS):
            order = {
                "order_id": f"#S{number}",
                "user_id": "shopper",
                "status": status,
                "items": [item(p, q) for p, q in lines],
                "fulfillments": [],
                "payment_history": [],
                "address": {},
            }
            await save_order(conn, tenant_id=TENANT, order=order)
    return resources


@pytest.mark.parametrize(
    ("product_id", "standing"),
    [("p1", (3, 5)), ("p10", (4, 5)), ("bûche-1", (5, 5)), ("lamp", (1, 5)), ("none", (0, 5))],
)
async def test_sales_standing_counts_units_and_leaves_cancelled_orders_out(
    store: Resources, product_id: str, standing: tuple[int, int]
) -> None:
    async with store.pool.connection() as conn:
        found = await sales_standing(conn, tenant_id=TENANT, product_id=product_id)

    assert found == standing


@pytest.mark.parametrize(
    ("product_id", "together"),
    [
        ("p1", [("bûche-1", 1), ("p10", 1)]),
        ("p10", [("bûche-1", 1), ("lamp", 1), ("p1", 1)]),
        ("bûche-1", [("lamp", 1), ("p1", 1), ("p10", 1)]),
        ("lamp", [("bûche-1", 1), ("p10", 1)]),
    ],
)
async def test_bought_with_finds_every_order_naming_the_product(
    store: Resources, product_id: str, together: list[tuple[str, int]]
) -> None:
    async with store.pool.connection() as conn:
        found = await bought_with(conn, tenant_id=TENANT, product_id=product_id)

    assert [(f["product_id"], f["orders"]) for f in found] == together


def test_only_plain_ids_prefilter_the_order_text() -> None:
    assert literal_in_json("8940227892") == "8940227892"
    assert literal_in_json("bûche-1") == ""
    assert literal_in_json('a"b') == ""
