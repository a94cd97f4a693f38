"""Merchandising on a tenant of its own: the score and its bands, the price recommendation
with its figures, and upsell / cross-sell / complementary from the tenant's orders."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg.types.json import Json

from connectors.orders import save_order
from graph.tools.env import ToolEnv
from graph.tools.merchandising import (
    ProductRef,
    VariantRef,
    band_of,
    classify,
    recommend,
    related,
)
from runtime.resources import Resources

TENANT = "merch"


def variants(prefix: str, prices: list[float], available: int) -> dict[str, Any]:
    return {
        f"{prefix}{i}": {
            "item_id": f"{prefix}{i}",
            "price": price,
            "available": i < available,
            "options": {},
        }
        for i, price in enumerate(prices)
    }


PRODUCTS = {
    # 10 variants, all in stock, the best seller: 50 + 25 + 25.
    "hero": ("Trail Shoe", variants("H", [100.0 + i for i in range(10)], 10)),
    # 4 variants, 3 in stock, half the best seller's sales: 25 + 19 + 10.
    "mid": ("Rain Jacket", variants("M", [60.0, 80.0, 150.0, 400.0], 3)),
    # 2 variants, both in stock, never sold: 0 + 25 + 5.
    "new": ("Head Torch", variants("N", [20.0, 35.0], 2)),
}


@pytest.fixture(scope="module")
async def store(resources: Resources) -> Resources:
    async with resources.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (TENANT, TENANT),
        )
        for position, (product_id, (name, found)) in enumerate(PRODUCTS.items()):
            doc = {"name": name, "product_id": product_id, "variants": found}
            await conn.execute(
                "INSERT INTO store_products (tenant_id, product_id, position, doc)"
                " VALUES (%s, %s, %s, %s)",
                (TENANT, product_id, position, Json(doc)),
            )
        for number, lines in enumerate(
            [
                [("hero", "H0", 6), ("mid", "M0", 3)],
                [("hero", "H1", 4), ("mid", "M1", 2)],
            ]
        ):
            items = [
                {
                    "name": PRODUCTS[product][0],
                    "product_id": product,
                    "item_id": item,
                    "price": PRODUCTS[product][1][item]["price"],
                    "options": {},
                    "quantity": units,
                }
                for product, item, units in lines
            ]
            order = {
                "order_id": f"#M{number}",
                "user_id": "shopper",
                "status": "delivered",
                "items": items,
                "fulfillments": [],
                "payment_history": [],
                "address": {},
            }
            await save_order(conn, tenant_id=TENANT, order=order)
    return resources


async def run(resources: Resources, body: Any, args: Any) -> Any:
    async with resources.pool.connection() as conn:
        env = ToolEnv(resources.pool, conn, TENANT, "test-merch", "call-1")
        return await body(env, args)


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (100, "HERO"),
        (80, "HERO"),
        (79, "GOOD"),
        (65, "GOOD"),
        (64, "MODERATE"),
        (40, "MODERATE"),
        (39, "POOR"),
        (0, "POOR"),
    ],
)
def test_band_boundaries(score: int, band: str) -> None:
    assert band_of(score) == band


@pytest.mark.parametrize(
    ("product_id", "score", "band", "sold"),
    [("hero", 100, "HERO", 10), ("mid", 54, "MODERATE", 5), ("new", 30, "POOR", 0)],
)
async def test_products_are_scored_with_their_reasons(
    store: Resources, product_id: str, score: int, band: str, sold: int
) -> None:
    result = await run(store, classify, ProductRef(product_id=product_id))

    assert (result["score"], result["band"], result["sold"]) == (score, band, sold)
    assert len(result["reasons"]) == 3
    assert result["reasons"][0].startswith(f"demand: {sold} units sold, best seller 10")


async def test_an_unknown_product_cannot_be_scored(store: Resources) -> None:
    result = await run(store, classify, ProductRef(product_id="ghost"))

    assert result == "Error: product ghost is not in the store; it cannot be scored"


async def test_price_follows_the_band_and_demand(store: Resources) -> None:
    hero = await run(store, recommend, VariantRef(product_id="hero", item_id="H0"))
    mid = await run(store, recommend, VariantRef(product_id="mid", item_id="M0"))
    new = await run(store, recommend, VariantRef(product_id="new", item_id="N0"))

    assert (hero["price"], hero["recommended"], hero["change_pct"]) == (100.0, 108.0, 8.0)
    assert (hero["unit_cost"], hero["cost_source"], hero["margin_pct"]) == (
        60.0,
        "assumed 60% of price",
        40.0,
    )
    assert (mid["recommended"], mid["change_pct"]) == (60.0, 0.0)
    assert (new["recommended"], new["reasons"]) == (
        20.0,
        ["no sales yet: no evidence to move the price"],
    )


async def test_upsell_cross_sell_and_complementary(store: Resources) -> None:
    result = await run(store, related, VariantRef(product_id="mid", item_id="M0"))

    # Premium variants at 1.2-4x of 60 that are in stock: 80 and 150 (400 is out of range).
    assert result["upsell"] == [{"item_id": "M1", "price": 80.0}, {"item_id": "M2", "price": 150.0}]
    assert result["cross_sell"] == [{"product_id": "hero", "name": "Trail Shoe", "orders": 2}]
    # Add-ons up to 1.5x of 60 from what is bought with it: none of the shoes (100+).
    assert result["complementary"] == []
    expensive = await run(store, related, VariantRef(product_id="mid", item_id="M3"))
    assert expensive["complementary"] == [{"name": "Trail Shoe", "item_id": "H0", "price": 100.0}]
