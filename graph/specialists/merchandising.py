"""E-commerce: a new or changed product is scored, priced and given its recommendations;
a product that cannot be scored goes to a person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import (
    PlaybookStep,
    Specialist,
    call,
    is_error,
    last_result,
    results_of,
)
from graph.state import EventData
from graph.tools.attention import attention_args, chosen, left_as_is, raise_attention_tool
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
    "recommend_products. Report the band, the price decision and the recommendations. If "
    "the product cannot be scored, call raise_attention (problem score_not_computed) "
    "offering retry and leave_unscored, and carry out the choice."
)
REMEDIES = {
    "retry": "score the product again (once its variants and prices are in the store)",
    "leave_unscored": "leave it unscored and unpriced",
}


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


def not_scored(product_id: str, why: Any) -> PlaybookStep:
    """The attention item for a product that could not be scored."""
    return [
        call(
            raise_attention_tool,
            **attention_args(
                problem="score_not_computed",
                subject=f"product {product_id}",
                reason=f"product {product_id} could not be scored: "
                f"{str(why).removeprefix('Error: ')}",
                remedies=REMEDIES,
                remedy="retry",
                product_id=product_id,
            ),
        )
    ]


def scored_or_step(
    product_id: str, results: Sequence[ToolMessage]
) -> dict[str, Any] | PlaybookStep:
    """The product's score, or the next step towards one (a retry a reviewer chose)."""
    tries = results_of(results, classify_product_tool.name)
    if not tries:
        return [call(classify_product_tool, product_id=product_id)]
    latest = tries[-1]
    if isinstance(latest, dict) and not is_error(latest):
        return latest
    decided = last_result(results, raise_attention_tool.name)
    if decided is None:
        return not_scored(product_id, latest)
    remedy, _ = chosen(decided)
    if remedy is None:
        return f"product {product_id} not scored: {tries[0]}; {left_as_is(decided)}"
    if remedy == "retry" and len(tries) < 2:
        return [call(classify_product_tool, product_id=product_id)]
    if remedy == "retry":
        return f"product {product_id} not scored, even after a reviewer's retry: {latest}"
    return f"product {product_id} not scored: {tries[0]}; a reviewer left it unscored"


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    product_id = str(event["payload"].get("product_id") or event["entity"].split(":", 1)[-1])
    scored = scored_or_step(product_id, results)
    if not isinstance(scored, dict):
        return scored
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
    tools=(
        classify_product_tool,
        recommend_price_tool,
        set_price_tool,
        recommend_products_tool,
        raise_attention_tool,
    ),
    playbook=playbook,
)
