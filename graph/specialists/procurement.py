"""E-commerce: an out-of-stock variant becomes a reorder proposal sized by sales velocity."""

from __future__ import annotations

import math
from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.ecommerce import get_sales_velocity_tool, propose_reorder_tool

PROMPT = (
    "You restock products. Call get_sales_velocity for the product that ran out, then "
    "propose_reorder for the variant with a quantity covering about eight weeks of sales "
    "(at least the minimum order), at about 60% of the selling price."
)
MIN_ORDER = 10
COVER_FACTOR = 2
COST_RATIO = 0.6


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    payload = event["payload"]
    product_id = str(payload.get("product_id") or event["entity"].split(":", 1)[-1])
    velocity = last_result(results, get_sales_velocity_tool.name)
    if velocity is None:
        return [call(get_sales_velocity_tool, product_id=product_id)]
    proposal = last_result(results, propose_reorder_tool.name)
    if proposal is not None:
        return f"reorder proposed: {proposal}"
    if is_error(velocity) or not isinstance(velocity, dict):
        return f"could not read sales for {product_id}: {velocity}"
    items = velocity["items"]
    sku = str(payload.get("sku") or "")
    chosen = next((i for i in items if i["item_id"] == sku), items[0] if items else None)
    if chosen is None:
        return f"no sales recorded for {product_id}; no reorder proposed"
    quantity = max(MIN_ORDER, math.ceil(chosen["sold"] * COVER_FACTOR))
    return [
        call(
            propose_reorder_tool,
            product_id=product_id,
            item_id=chosen["item_id"],
            quantity=quantity,
            unit_cost=round(chosen["unit_price"] * COST_RATIO, 2),
            reason=f"out of stock; {chosen['sold']} sold",
        )
    ]


SPECIALIST = Specialist(
    name="procurement",
    domain="ecommerce",
    description="Turns an out-of-stock variant into a reorder proposal from sales velocity.",
    prompt=PROMPT,
    tools=(get_sales_velocity_tool, propose_reorder_tool),
    playbook=playbook,
)
