"""Merchandising tools: how good a product is for the shop (a score with bands and reasons),
what its price should be, what to sell with it; and the gated price change."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from connectors.merchandising import (
    bought_with,
    get_product,
    last_unit_cost,
    sales_standing,
    set_variant_price,
    variant_price,
)
from graph.facts import FactQuery, Facts
from graph.tools.base import ToolEnv, effect_tool, reader_tool

BANDS = ((80, "HERO"), (65, "GOOD"), (40, "MODERATE"), (0, "POOR"))
PRICE_MOVES = {"HERO": 0.08, "GOOD": 0.03, "MODERATE": 0.0, "POOR": -0.15}
"""A price move per band: lean on a hero, clear a poor seller (a reviewer sees big moves)."""
ASSUMED_COST_RATIO = 0.6
"""Without a purchase price on record, a unit costs 60% of its price (as procurement assumes)."""
MIN_MARKUP = 1.15
FULL_RANGE = 10
UPSELL = (1.2, 4.0)
COMPLEMENT_MAX = 1.5


def band_of(score: int) -> str:
    return next(name for floor, name in BANDS if score >= floor)


class ProductRef(BaseModel):
    """A product in the store."""

    product_id: str = Field(min_length=1)


async def product_score(env: ToolEnv, product_id: str) -> dict[str, Any] | str:
    product = await get_product(env.conn, tenant_id=env.tenant_id, product_id=product_id)
    if product is None:
        return f"Error: product {product_id} is not in the store; it cannot be scored"
    mine, best = await sales_standing(env.conn, tenant_id=env.tenant_id, product_id=product_id)
    variants = list(product["variants"].values())
    available = sum(1 for v in variants if v.get("available"))
    demand = round(50 * mine / best) if best else 0
    stocked = round(25 * available / len(variants)) if variants else 0
    breadth = round(25 * min(1.0, len(variants) / FULL_RANGE))
    score = demand + stocked + breadth
    return {
        "product_id": product_id,
        "name": product.get("name", ""),
        "score": score,
        "band": band_of(score),
        "sold": mine,
        "item_ids": [str(v["item_id"]) for v in sorted(variants, key=lambda v: float(v["price"]))],
        "reasons": [
            f"demand: {mine} units sold, best seller {best}: {demand}/50",
            f"availability: {available} of {len(variants)} variants in stock: {stocked}/25",
            f"range: {len(variants)} variants (full at {FULL_RANGE}): {breadth}/25",
        ],
    }


async def classify(env: ToolEnv, args: ProductRef) -> dict[str, Any] | str:
    return await product_score(env, args.product_id)


classify_product_tool = reader_tool(
    name="classify_product",
    description=(
        "Score a product 0-100 from its sales against the best seller, its availability and "
        "its range, with the band (HERO >= 80, GOOD 65-79, MODERATE 40-64, POOR < 40) and "
        "the reasons."
    ),
    args_schema=ProductRef,
    body=classify,
)


class VariantRef(BaseModel):
    """One variant of a product."""

    product_id: str = Field(min_length=1)
    item_id: str = Field(min_length=1)


async def recommend(env: ToolEnv, args: VariantRef) -> dict[str, Any] | str:
    scored = await product_score(env, args.product_id)
    if isinstance(scored, str):
        return scored
    price = await variant_price(env.conn, tenant_id=env.tenant_id, item_id=args.item_id)
    if price is None or price <= 0:
        return f"Error: variant {args.item_id} has no price in the store"
    known_cost = await last_unit_cost(env.conn, tenant_id=env.tenant_id, item_id=args.item_id)
    cost = known_cost if known_cost is not None else round(price * ASSUMED_COST_RATIO, 2)
    move = PRICE_MOVES[scored["band"]] if scored["sold"] else 0.0
    recommended = round(max(price * (1 + move), cost * MIN_MARKUP), 2)
    reasons = [f"{scored['band']} ({scored['score']}/100): move {move:+.0%}"]
    if not scored["sold"]:
        reasons = ["no sales yet: no evidence to move the price"]
    if recommended > round(price * (1 + move), 2):
        reasons.append(f"raised to keep a {MIN_MARKUP - 1:.0%} markup over cost")
    return {
        "product_id": args.product_id,
        "item_id": args.item_id,
        "price": price,
        "recommended": recommended,
        "change_pct": round((recommended - price) / price * 100, 1),
        "unit_cost": cost,
        "cost_source": "reorder proposal" if known_cost is not None else "assumed 60% of price",
        "margin_pct": round((price - cost) / price * 100, 1),
        "band": scored["band"],
        "sold": scored["sold"],
        "reasons": reasons,
    }


recommend_price_tool = reader_tool(
    name="recommend_price",
    description=(
        "Recommend a variant's price from the product's band, its demand (units sold) and "
        "its margin over cost; answers the figures behind it."
    ),
    args_schema=VariantRef,
    body=recommend,
)


class PriceChange(BaseModel):
    """A new live price for a variant, and why."""

    product_id: str = Field(min_length=1)
    item_id: str = Field(min_length=1)
    price: float = Field(gt=0)
    reason: str = Field(min_length=1, max_length=300)


async def price_change(query: FactQuery, facts: Facts) -> None:
    """How far the new price moves from the live one, in percent (from the store)."""
    item_id, new = str(query.args.get("item_id") or ""), query.args.get("price")
    facts.set("product_id", query.args.get("product_id"))
    async with query.pool.connection() as conn:
        old = await variant_price(conn, tenant_id=query.tenant_id, item_id=item_id)
    if old is None or old <= 0 or new is None:
        facts.lack("price_change_pct", f"variant {item_id} has no live price in the store")
        return
    facts.set("price_change_pct", round(abs(float(new) - old) / old * 100, 1))
    facts.lines.append(f"price of {item_id}: {old:.2f} -> {float(new):.2f}")


async def reprice(env: ToolEnv, args: PriceChange) -> dict[str, Any] | str:
    return await set_variant_price(
        env.conn,
        tenant_id=env.tenant_id,
        product_id=args.product_id,
        item_id=args.item_id,
        price=round(args.price, 2),
    )


set_price_tool = effect_tool(
    name="set_price",
    description="Set a variant's live price (a large change waits for a reviewer).",
    args_schema=PriceChange,
    body=reprice,
    facts=(price_change,),
)


def cheapest(doc: dict[str, Any], *, up_to: float | None = None) -> dict[str, Any] | None:
    offers = [
        v
        for v in doc["variants"].values()
        if v.get("available") and (up_to is None or float(v["price"]) <= up_to)
    ]
    return min(offers, key=lambda v: float(v["price"])) if offers else None


async def related(env: ToolEnv, args: VariantRef) -> dict[str, Any] | str:
    product = await get_product(env.conn, tenant_id=env.tenant_id, product_id=args.product_id)
    if product is None or args.item_id not in product["variants"]:
        return f"Error: variant {args.item_id} of product {args.product_id} is not in the store"
    price = float(product["variants"][args.item_id]["price"])
    low, high = price * UPSELL[0], price * UPSELL[1]
    upsell = sorted(
        (
            {"item_id": v["item_id"], "price": float(v["price"])}
            for v in product["variants"].values()
            if v.get("available") and low <= float(v["price"]) <= high
        ),
        key=lambda v: v["price"],
    )[:3]
    together = await bought_with(env.conn, tenant_id=env.tenant_id, product_id=args.product_id)
    cross = [
        {"product_id": t["product_id"], "name": t["doc"]["name"], "orders": t["orders"]}
        for t in together[:3]
    ]
    complementary = []
    for other in together:
        offer = cheapest(other["doc"], up_to=price * COMPLEMENT_MAX)
        if offer is not None:
            complementary.append(
                {"name": other["doc"]["name"], "item_id": offer["item_id"], "price": offer["price"]}
            )
    return {
        "item_id": args.item_id,
        "price": price,
        "upsell": upsell,
        "cross_sell": cross,
        "complementary": complementary[:3],
    }


recommend_products_tool = reader_tool(
    name="recommend_products",
    description=(
        "What to sell with a variant: upsell (premium variants at 1.2-4x its price), "
        "cross-sell (products bought in the same orders) and complementary add-ons (up to "
        "1.5x its price, from those products)."
    ),
    args_schema=VariantRef,
    body=related,
)

MERCHANDISING_TOOLS = (
    classify_product_tool,
    recommend_price_tool,
    set_price_tool,
    recommend_products_tool,
)
