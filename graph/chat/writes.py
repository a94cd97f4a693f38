"""Writes in chat: the exact statement the user confirms, the checks before it may be offered,
whether a reviewer must approve it, and the outcome told afterwards.

Everything a statement shows (items, amounts, payment methods) is read from the store, not
from the message or a model's arguments, so what the user confirms is what would happen.
"""

from __future__ import annotations

import json
from typing import Any

from connectors.orders import get_order, order_total, units
from graph.chat.state import ChatState, Customer
from graph.context import OpsContext
from graph.gate import facts_for, needs_attention
from graph.toolset import Effect

CONFIRM_PROMPT = "Shall I go ahead? Reply yes to confirm, or no to leave everything as it is."
ORDER_TOOLS = (
    "cancel_pending_order",
    "modify_pending_order_address",
    "modify_pending_order_items",
    "modify_pending_order_payment",
    "return_delivered_order_items",
    "exchange_delivered_order_items",
)


async def order_of(context: OpsContext, tenant_id: str, order_id: str) -> dict[str, Any] | None:
    async with context.pool.connection() as conn:
        order: dict[str, Any] | None = await get_order(conn, tenant_id=tenant_id, order_id=order_id)
    return order


def refusal(tool: str, args: dict[str, Any], customer: Customer | None, order: Any) -> str | None:
    """Why the write may not even be offered: the customer is unknown, or it is not theirs."""
    if customer is None:
        return (
            "Error: identify the customer first (find_user_id_by_email, or "
            "find_user_id_by_name_zip), then look the order up"
        )
    if tool in ORDER_TOOLS:
        if order is None:
            return f"Error: order {args.get('order_id')} not found"
        if order.get("user_id") != customer["user_id"]:
            return f"Error: order {order['order_id']} is not one of {customer['name']}'s orders"
    if "user_id" in args and args["user_id"] != customer["user_id"]:
        return f"Error: {args['user_id']} is not the identified customer"
    return None


def item_line(item: dict[str, Any]) -> str:
    count = units(item)
    quantity = f"{count} x " if count > 1 else ""
    return f"{quantity}{item['name']} (item {item['item_id']}, {float(item['price']):.2f})"


def paid_with(order: dict[str, Any]) -> str:
    methods = [
        p["payment_method_id"]
        for p in order.get("payment_history", [])
        if p.get("transaction_type") == "payment"
    ]
    return ", ".join(dict.fromkeys(methods)) or "no recorded payment"


def statement(tool: str, args: dict[str, Any], order: dict[str, Any] | None) -> str:
    """The exact write, as the user confirms it."""
    if order is None:
        shown = json.dumps(args, sort_keys=True)
        return f"I will run {tool} with {shown}.\n{CONFIRM_PROMPT}"
    oid, status = order["order_id"], order["status"]
    items = order.get("items", [])
    if tool in {
        "return_delivered_order_items",
        "exchange_delivered_order_items",
        "modify_pending_order_items",
    }:
        wanted = list(args.get("item_ids") or [])
        items = [item for item in items if item["item_id"] in wanted]
    listed = "; ".join(item_line(item) for item in items) or "no items"
    amount = round(sum(float(i["price"]) * units(i) for i in items), 2)
    if tool == "cancel_pending_order":
        text = (
            f"I will cancel order {oid} ({status}): {listed}. Reason: '{args.get('reason')}'. "
            f"Refund: {order_total(order):.2f} to {paid_with(order)}, the method it was paid with."
        )
    elif tool == "return_delivered_order_items":
        text = (
            f"I will request a return from order {oid} ({status}) of {listed}. "
            f"Refund: {amount:.2f} to {args.get('payment_method_id')}."
        )
    elif tool in {"exchange_delivered_order_items", "modify_pending_order_items"}:
        swaps = ", ".join(
            f"{old} -> {new}"
            for old, new in zip(
                args.get("item_ids", []), args.get("new_item_ids", []), strict=False
            )
        )
        text = (
            f"I will exchange items of order {oid} ({status}): {swaps} ({listed}). "
            f"Any price difference is settled with {args.get('payment_method_id')}."
        )
    elif tool == "modify_pending_order_payment":
        text = (
            f"I will pay order {oid} ({order_total(order):.2f}) with "
            f"{args.get('payment_method_id')} instead of {paid_with(order)}."
        )
    elif tool == "modify_pending_order_address":
        text = f"I will ship order {oid} to {address_of(args)} instead."
    else:
        text = f"I will run {tool} on order {oid} with {json.dumps(args, sort_keys=True)}."
    return f"{text}\n{CONFIRM_PROMPT}"


def address_of(args: dict[str, Any]) -> str:
    parts = ("address1", "address2", "city", "state", "zip", "country")
    return ", ".join(str(args[p]) for p in parts if args.get(p))


async def review_rules(
    context: OpsContext,
    tenant_id: str,
    effect: Effect,
    args: dict[str, Any],
    state: ChatState,
) -> list[str] | None:
    """Why a reviewer must approve this write first (None: it runs at once).

    The same facts, policy and attention flag the gate judges by: the gate itself still
    decides and pauses the run; this only lets the reply say so before it does."""
    if not context.gated:
        return None
    found = await facts_for(context, tenant_id, effect.name, args, dict(state), effect=effect)
    requirement = context.policy.evaluate(effect.name, found.values)
    if requirement is None:
        return (
            ["every such change asks a person"]
            if needs_attention(context, effect.name, effect)
            else None
        )
    return [rule.description for rule in requirement.rules] or ["the policy asks a person"]


def outcome(tool: str, result: Any) -> str:
    """What happened to a confirmed write, in words: done, rejected, answered, or failed."""
    text = result if isinstance(result, str) else ""
    if text.startswith("Error: rejected by the reviewer"):
        return "A reviewer rejected it, so nothing was changed."
    if text.startswith("Not done: the reviewer said:"):
        note = text.removeprefix("Not done: the reviewer said:").strip()
        return f"A reviewer did not approve it and said: {note} Nothing was changed."
    if text.startswith("Error"):
        return f"That did not go through: {text.removeprefix('Error:').strip()}"
    if not isinstance(result, dict):
        return f"Done: {tool} answered {str(result)[:200]}"
    oid = result.get("order_id")
    if tool == "cancel_pending_order":
        refunds = [
            f"{float(p['amount']):.2f} to {p['payment_method_id']}"
            for p in result.get("payment_history", [])
            if p.get("transaction_type") == "refund"
        ]
        return f"Done: order {oid} is {result.get('status')}. Refunded: {', '.join(refunds)}."
    if oid:
        return f"Done: order {oid} is now {result.get('status')}."
    return f"Done: {tool} succeeded."
