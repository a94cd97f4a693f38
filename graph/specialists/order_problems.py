"""An order fulfilment cannot carry out becomes an attention item, and the chosen remedy runs.

Stock short: procurement plans a reorder (velocity, lead time, EOQ, safety stock), and the
attention item recommends it. An item the store has never had stock for (or a line with no
SKU) is unknown, not zero: the item recommends holding the order and asking the customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlannedCall, PlaybookStep, call, is_error, last_result
from graph.specialists.base import tool_result as result_of
from graph.state import EventData
from graph.tools.attention import ask_customer_tool, resolve_order_problem_tool
from graph.tools.ecommerce import cancel_order_tool, propose_reorder_tool
from graph.tools.procurement import plan_reorder_tool

PROMPT = (
    "If reserve_stock cannot reserve everything, never stop silently: call plan_reorder for "
    "the short items, then resolve_order_problem with what happened, why (name every SKU) "
    "and the remedy to recommend (reorder when a plan exists, else hold_and_ask). Then carry "
    "out the remedy it answers: propose_reorder per reorder line, cancel_order for "
    "cancel_and_refund, ask_customer for substitute or hold_and_ask."
)

ORDER_PROBLEM_TOOLS = (
    plan_reorder_tool,
    resolve_order_problem_tool,
    propose_reorder_tool,
    cancel_order_tool,
    ask_customer_tool,
)


def line_name(event: EventData, sku: str) -> str:
    """How the event's order lines name the item (for a line with no SKU, its name)."""
    lines = event["payload"].get("lines")
    for line in lines if isinstance(lines, list) else []:
        if isinstance(line, dict) and str(line.get("sku") or "") == sku:
            quantity = line.get("quantity")
            return f"{line.get('name') or 'unnamed item'} x {quantity}"
    return "an item"


def reason_of(event: EventData, reserved: dict[str, Any]) -> str:
    """What happened, naming every SKU concerned."""
    parts = []
    for sku, missing in sorted(reserved.get("short", {}).items()):
        available = reserved.get("available", {}).get(sku, 0)
        parts.append(
            f"not enough stock for SKU {sku}: {missing + available} wanted, {available} available"
        )
    for sku in reserved.get("unknown", []):
        if sku:
            parts.append(f"SKU {sku} is unknown to the store: no stock was ever reported for it")
        else:
            parts.append(
                f"a line with no SKU ({line_name(event, '')}): the store cannot tell which "
                "item it is"
            )
    return "; ".join(parts) or "the order's stock could not be reserved"


def problem_call(
    event: EventData, order_id: str, reserved: dict[str, Any], plans: dict[str, Any] | None
) -> PlannedCall:
    lines = (plans or {}).get("plans") or []
    reorderable = bool(lines) and not reserved.get("unknown")
    reason = reason_of(event, reserved)
    args: dict[str, Any] = {
        "order_id": order_id,
        "problem": "stock_short" if reserved.get("short") else "unknown_item",
        "reason": f"order {order_id} cannot be reserved: {reason}",
        "remedy": "reorder" if reorderable else "hold_and_ask",
        "reorder": lines,
        "message": (
            f"We are checking the availability of an item in your order {order_id} and will "
            "be in touch shortly; nothing has shipped yet."
        ),
    }
    return call(resolve_order_problem_tool, **args)


def results_of(results: Sequence[ToolMessage], name: str) -> list[Any]:
    return [result_of(message) for message in results if message.name == name]


def carry_out(event: EventData, order_id: str, decided: dict[str, Any]) -> list[PlannedCall]:
    """The remedy's own tool calls (each gated by the policy as usual)."""
    remedy = decided.get("remedy")
    if remedy == "reorder":
        return [
            call(
                propose_reorder_tool,
                product_id=line["product_id"],
                item_id=line["item_id"],
                quantity=line["quantity"],
                unit_cost=line["unit_cost"],
                reason=f"order {order_id} short; {line.get('reason') or 'reorder'}",
            )
            for line in decided.get("reorder") or []
        ]
    if remedy == "cancel_and_refund":
        return [call(cancel_order_tool, order_id=order_id, reason="item not available")]
    message = decided.get("message") or f"A question about your order {order_id}."
    if remedy == "substitute" and decided.get("substitute_item_id"):
        message = (
            f"An item in your order {order_id} is not available. We can send item "
            f"{decided['substitute_item_id']} instead: reply to accept, or we refund it."
        )
    email = event["payload"].get("email")
    extra = {"email": str(email)} if email else {}
    return [call(ask_customer_tool, order_id=order_id, message=message, **extra)]


def remedy_tool(decided: dict[str, Any]) -> str:
    remedy = decided.get("remedy")
    if remedy == "reorder":
        return propose_reorder_tool.name
    return cancel_order_tool.name if remedy == "cancel_and_refund" else ask_customer_tool.name


def stock_problem(
    event: EventData, results: Sequence[ToolMessage], order_id: str, reserved: dict[str, Any]
) -> PlaybookStep:
    """Plan a reorder, raise the attention item, carry out the remedy, report."""
    short = reserved.get("short") or {}
    plans = last_result(results, plan_reorder_tool.name)
    if short and plans is None:
        return [call(plan_reorder_tool, item_ids=sorted(short), shortfall=short)]
    decided = last_result(results, resolve_order_problem_tool.name)
    if decided is None:
        return [problem_call(event, order_id, reserved, plans if isinstance(plans, dict) else None)]
    reason = reason_of(event, reserved)
    if not isinstance(decided, dict):
        return f"order {order_id} on hold ({reason}); no remedy taken: {decided}"
    done = results_of(results, remedy_tool(decided))
    if not done:
        planned = carry_out(event, order_id, decided)
        if not planned:
            return f"order {order_id} on hold ({reason}); {decided['remedy']}: nothing to do"
        return planned
    failed = [r for r in done if is_error(r) or not isinstance(r, dict)]
    if failed:
        return f"order {order_id} on hold ({reason}); {decided['remedy']} failed: {failed[0]}"
    if decided["remedy"] == "reorder":
        ids = ", ".join(str(r["proposal_id"]) for r in done)
        return f"order {order_id} on hold ({reason}); reorder proposed: {ids}"
    if decided["remedy"] == "cancel_and_refund":
        return f"order {order_id} cancelled and refunded ({reason})"
    return f"order {order_id} on hold ({reason}); customer asked at {done[0]['to']}"
