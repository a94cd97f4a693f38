"""E-commerce: a new or changed product is scored, priced and given its recommendations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.merchandising import (
    classify_product_tool,
    recommend_price_tool,
    recommend_products_tool,
    set_price_tool,
)

PROMPT = (
    "You merchandise the catalog. Call classify_product for the product, then "
    "recommend_price for its variant (the event's SKU, else its cheapest); if the "
    "recommended price differs from the live one, set_price with the reasons; then "
    "recommend_products. Report the band, the price decision and the recommendations."
)


def chosen_item(event: EventData, scored: dict[str, Any]) -> str | None:
    sku = event["payload"].get("sku")
    items: list[str] = scored["item_ids"]
    if sku and str(sku) in items:
        return str(sku)
    return items[0] if items else None


def price_decision(priced: dict[str, Any], applied: Any) -> str:
    if priced["recommended"] == priced["price"]:
        return f"price {priced['price']:.2f} kept ({'; '.join(priced['reasons'])})"
    move = f"{priced['price']:.2f} -> {priced['recommended']:.2f} ({priced['change_pct']:+.1f}%)"
    if is_error(applied) or not isinstance(applied, dict):
        return f"price {move} not applied: {applied}"
    return f"price {move} applied"


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    product_id = str(event["payload"].get("product_id") or event["entity"].split(":", 1)[-1])
    scored = last_result(results, classify_product_tool.name)
    if scored is None:
        return [call(classify_product_tool, product_id=product_id)]
    if is_error(scored) or not isinstance(scored, dict):
        return f"product {product_id} not scored: {scored}"
    item_id = chosen_item(event, scored)
    if item_id is None:
        return f"{scored['band']} {scored['score']}/100; no variant to price or recommend"
    priced = last_result(results, recommend_price_tool.name)
    if priced is None:
        return [call(recommend_price_tool, product_id=product_id, item_id=item_id)]
    if is_error(priced) or not isinstance(priced, dict):
        return f"{scored['band']} {scored['score']}/100; no price recommendation: {priced}"
    applied = last_result(results, set_price_tool.name)
    if applied is None and priced["recommended"] != priced["price"]:
        reason = f"{priced['band']}, {priced['sold']} sold, margin {priced['margin_pct']}%"
        return [
            call(
                set_price_tool,
                product_id=product_id,
                item_id=item_id,
                price=priced["recommended"],
                reason=reason,
            )
        ]
    related = last_result(results, recommend_products_tool.name)
    if related is None:
        return [call(recommend_products_tool, product_id=product_id, item_id=item_id)]
    if is_error(related) or not isinstance(related, dict):
        tail = f"no recommendations: {related}"
    else:
        cross = ", ".join(c["name"] for c in related["cross_sell"]) or "none"
        tail = (
            f"upsell {len(related['upsell'])}, cross-sell {cross}, "
            f"complementary {len(related['complementary'])}"
        )
    return (
        f"{scored['name']} {scored['band']} {scored['score']}/100; "
        f"{price_decision(priced, applied)}; {tail}"
    )


SPECIALIST = Specialist(
    name="merchandising",
    domain="ecommerce",
    description=(
        "Scores a product (HERO/GOOD/MODERATE/POOR with reasons), recommends and sets its "
        "price (large moves approved first), and recommends upsell, cross-sell and add-ons."
    ),
    prompt=PROMPT,
    tools=(classify_product_tool, recommend_price_tool, set_price_tool, recommend_products_tool),
    playbook=playbook,
)
