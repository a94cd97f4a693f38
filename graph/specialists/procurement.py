"""E-commerce: an out-of-stock variant becomes a reorder proposal, sized by sales velocity,
lead time, economic order quantity and safety stock (every figure in the proposal)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.ecommerce import get_sales_velocity_tool, propose_reorder_tool
from graph.tools.procurement import plan_reorder_tool

PROMPT = (
    "You restock products. Call plan_reorder for the variant that ran out (if the event "
    "names no SKU, get_sales_velocity for the product first and take its best seller), then "
    "propose_reorder with the plan's quantity and unit cost, its figures as the reason."
)


def item_of(event: EventData, results: Sequence[ToolMessage]) -> str | PlaybookStep | None:
    """The SKU to restock: the event's, or the product's best seller (a step to find it)."""
    payload = event["payload"]
    if payload.get("sku"):
        return str(payload["sku"])
    product_id = str(payload.get("product_id") or event["entity"].split(":", 1)[-1])
    velocity = last_result(results, get_sales_velocity_tool.name)
    if velocity is None:
        return [call(get_sales_velocity_tool, product_id=product_id)]
    if is_error(velocity) or not isinstance(velocity, dict) or not velocity["items"]:
        return None
    return str(velocity["items"][0]["item_id"])


def proposal_step(plans: dict[str, Any]) -> PlaybookStep:
    if not plans["plans"]:
        return f"no stock record for {', '.join(plans['unknown'])}; no reorder proposed"
    line = plans["plans"][0]
    return [
        call(
            propose_reorder_tool,
            product_id=line["product_id"],
            item_id=line["item_id"],
            quantity=line["quantity"],
            unit_cost=line["unit_cost"],
            reason=f"out of stock; {line['reason']}",
        )
    ]


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    proposal = last_result(results, propose_reorder_tool.name)
    if proposal is not None:
        return f"reorder proposed: {proposal}"
    item = item_of(event, results)
    if item is None:
        return "no sales recorded for this product; no reorder proposed"
    if not isinstance(item, str):
        return item
    plans = last_result(results, plan_reorder_tool.name)
    if plans is None:
        return [call(plan_reorder_tool, item_ids=[item])]
    if is_error(plans) or not isinstance(plans, dict):
        return f"could not plan a reorder of {item}: {plans}"
    return proposal_step(plans)


SPECIALIST = Specialist(
    name="procurement",
    domain="ecommerce",
    description=(
        "Turns an out-of-stock variant into a reorder proposal sized by velocity, lead time, "
        "EOQ and safety stock."
    ),
    prompt=PROMPT,
    tools=(get_sales_velocity_tool, plan_reorder_tool, propose_reorder_tool),
    playbook=playbook,
)
