"""τ-bench's retail rules for changing orders and users, applied to plain records.

Each rule mirrors one tool of sierra-research/tau-bench (`tau_bench/envs/retail/tools/`):
the same checks in the same order, the same "Error: ..." answers, the same float arithmetic
and rounding, and on success the changed record as `json.dumps` renders it. Rules mutate
`data` in place; `apply_rule` turns an exception into τ-bench's `Error: <exception>` answer
and, as τ-bench does, keeps whatever the rule changed before it failed.

Item records are one unit each in τ-bench's data; an order mirrored from a platform keeps a
line of several units as one record with a `quantity`. The rules count units, and a swap
splits one unit off such a line, so on τ-bench's records every answer is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from connectors.store.documents import Doc, StoreData

CANCEL_REASONS = ("no longer needed", "ordered by mistake")

Rule = Callable[..., str]


def apply_rule(rule: Rule, data: StoreData, **kwargs: Any) -> str:
    try:
        return rule(data, **kwargs)
    except Exception as error:  # τ-bench's environment answers any failure this way
        return f"Error: {error}"


def cancel_pending_order(data: StoreData, order_id: str, reason: str) -> str:
    order = order_in(data, order_id, "pending", "Error: non-pending order cannot be cancelled")
    if isinstance(order, str):
        return order
    if reason not in CANCEL_REASONS:
        return "Error: invalid reason"

    refunds: list[Doc] = []
    for payment in order["payment_history"]:
        method_id = payment["payment_method_id"]
        refunds.append(
            {
                "transaction_type": "refund",
                "amount": payment["amount"],
                "payment_method_id": method_id,
            }
        )
        if "gift_card" in method_id:  # gift cards are refunded at once
            method = data["users"][order["user_id"]]["payment_methods"][method_id]
            method["balance"] = round(method["balance"] + payment["amount"], 2)

    order["status"] = "cancelled"
    order["cancel_reason"] = reason
    order["payment_history"].extend(refunds)
    return json.dumps(order)


def modify_pending_order_address(
    data: StoreData,
    order_id: str,
    address1: str,
    address2: str,
    city: str,
    state: str,
    country: str,
    zip: str,
) -> str:
    order = order_in(data, order_id, "pending", "Error: non-pending order cannot be modified")
    if isinstance(order, str):
        return order
    order["address"] = address(address1, address2, city, state, country, zip)
    return json.dumps(order)


def modify_pending_order_payment(data: StoreData, order_id: str, payment_method_id: str) -> str:
    order = order_in(data, order_id, "pending", "Error: non-pending order cannot be modified")
    if isinstance(order, str):
        return order
    methods = data["users"][order["user_id"]]["payment_methods"]
    if payment_method_id not in methods:
        return "Error: payment method not found"
    history = order["payment_history"]
    if len(history) > 1 or history[0]["transaction_type"] != "payment":
        return "Error: there should be exactly one payment for a pending order"
    if history[0]["payment_method_id"] == payment_method_id:
        return "Error: the new payment method should be different from the current one"
    amount = history[0]["amount"]
    method = methods[payment_method_id]
    if method["source"] == "gift_card" and method["balance"] < amount:
        return "Error: insufficient gift card balance to pay for the order"

    old_method_id = history[0]["payment_method_id"]
    history.extend(
        [
            {
                "transaction_type": "payment",
                "amount": amount,
                "payment_method_id": payment_method_id,
            },
            {"transaction_type": "refund", "amount": amount, "payment_method_id": old_method_id},
        ]
    )
    if method["source"] == "gift_card":
        method["balance"] = round(method["balance"] - amount, 2)
    if "gift_card" in old_method_id:
        old_method = methods[old_method_id]
        old_method["balance"] = round(old_method["balance"] + amount, 2)
    return json.dumps(order)


def modify_pending_order_items(
    data: StoreData,
    order_id: str,
    item_ids: list[str],
    new_item_ids: list[str],
    payment_method_id: str,
) -> str:
    order = order_in(data, order_id, "pending", "Error: non-pending order cannot be modified")
    if isinstance(order, str):
        return order
    checked = check_swap(data, order, item_ids, new_item_ids)
    if isinstance(checked, str):
        return checked
    diff_price = checked
    methods = data["users"][order["user_id"]]["payment_methods"]
    if payment_method_id not in methods:
        return "Error: payment method not found"
    method = methods[payment_method_id]
    if method["source"] == "gift_card" and method["balance"] < diff_price:
        return "Error: insufficient gift card balance to pay for the new item"

    order["payment_history"].append(
        {
            "transaction_type": "payment" if diff_price > 0 else "refund",
            "amount": abs(diff_price),
            "payment_method_id": payment_method_id,
        }
    )
    if method["source"] == "gift_card":
        method["balance"] = round(method["balance"] - diff_price, 2)
    variants_of = data["products"]
    for item_id, new_item_id in zip(item_ids, new_item_ids, strict=False):
        item = one_unit(order, first_item(order, item_id))
        variant = variants_of[item["product_id"]]["variants"][new_item_id]
        item["item_id"] = new_item_id
        item["price"] = variant["price"]
        item["options"] = variant["options"]
    order["status"] = "pending (item modified)"
    return json.dumps(order)


def return_delivered_order_items(
    data: StoreData, order_id: str, item_ids: list[str], payment_method_id: str
) -> str:
    order = order_in(data, order_id, "delivered", "Error: non-delivered order cannot be returned")
    if isinstance(order, str):
        return order
    if payment_method_id not in data["users"][order["user_id"]]["payment_methods"]:
        return "Error: payment method not found"
    if (
        "gift_card" not in payment_method_id
        and payment_method_id != order["payment_history"][0]["payment_method_id"]
    ):
        return "Error: payment method should be either the original payment method or a gift card"
    for item_id in item_ids:
        if item_ids.count(item_id) > unit_count(order, item_id):
            return "Error: some item not found"

    order["status"] = "return requested"
    order["return_items"] = sorted(item_ids)
    order["return_payment_method_id"] = payment_method_id
    return json.dumps(order)


def exchange_delivered_order_items(
    data: StoreData,
    order_id: str,
    item_ids: list[str],
    new_item_ids: list[str],
    payment_method_id: str,
) -> str:
    order = order_in(data, order_id, "delivered", "Error: non-delivered order cannot be exchanged")
    if isinstance(order, str):
        return order
    checked = check_swap(data, order, item_ids, new_item_ids)
    if isinstance(checked, str):
        return checked
    diff_price = round(checked, 2)
    methods = data["users"][order["user_id"]]["payment_methods"]
    if payment_method_id not in methods:
        return "Error: payment method not found"
    method = methods[payment_method_id]
    if method["source"] == "gift_card" and method["balance"] < diff_price:
        return "Error: insufficient gift card balance to pay for the price difference"

    order["status"] = "exchange requested"
    order["exchange_items"] = sorted(item_ids)
    order["exchange_new_items"] = sorted(new_item_ids)
    order["exchange_payment_method_id"] = payment_method_id
    order["exchange_price_difference"] = diff_price
    return json.dumps(order)


def modify_user_address(
    data: StoreData,
    user_id: str,
    address1: str,
    address2: str,
    city: str,
    state: str,
    country: str,
    zip: str,
) -> str:
    users = data["users"]
    if user_id not in users:
        return "Error: user not found"
    user = users[user_id]
    user["address"] = address(address1, address2, city, state, country, zip)
    return json.dumps(user)


def order_in(data: StoreData, order_id: str, status: str, refusal: str) -> Doc | str:
    """The order, if it has `status`; else τ-bench's answer (`refusal` for another status)."""
    orders = data["orders"]
    if order_id not in orders:
        return "Error: order not found"
    order: Doc = orders[order_id]
    if order["status"] != status:
        return refusal
    return order


def check_swap(
    data: StoreData, order: Doc, item_ids: list[str], new_item_ids: list[str]
) -> float | str:
    """The price difference of swapping items for variants of the same products, or an error."""
    for item_id in item_ids:
        if item_ids.count(item_id) > unit_count(order, item_id):
            return f"Error: {item_id} not found"
    if len(item_ids) != len(new_item_ids):
        return "Error: the number of items to be exchanged should match"
    # Starts as the int 0, as in τ-bench: an empty swap records an amount of 0, not 0.0.
    diff_price: float = 0
    for item_id, new_item_id in zip(item_ids, new_item_ids, strict=False):
        item = first_item(order, item_id)
        variants = data["products"][item["product_id"]]["variants"]
        if not (new_item_id in variants and variants[new_item_id]["available"]):
            return f"Error: new item {new_item_id} not found or available"
        diff_price += variants[new_item_id]["price"] - item["price"]
    return diff_price


def unit_count(order: Doc, item_id: str) -> int:
    """Units of `item_id` in the order: τ-bench's records are one unit each; a record
    mirrored from a platform's order line may stand for several (its `quantity`)."""
    return sum(
        int(item.get("quantity", 1)) for item in order["items"] if item["item_id"] == item_id
    )


def one_unit(order: Doc, item: Doc) -> Doc:
    """The record of a single unit of `item`: itself when it is one unit, else one unit split
    off the line (placed right after it) so a swap changes exactly one unit."""
    quantity = int(item.get("quantity", 1))
    if quantity <= 1:
        return item
    if quantity == 2:
        del item["quantity"]
    else:
        item["quantity"] = quantity - 1
    unit = {key: value for key, value in item.items() if key != "quantity"}
    items: list[Doc] = order["items"]
    items.insert(next(i for i, held in enumerate(items) if held is item) + 1, unit)
    return unit


def first_item(order: Doc, item_id: str) -> Doc:
    # Indexing, not next(): a miss must fail as τ-bench's does ("list index out of range").
    item: Doc = [item for item in order["items"] if item["item_id"] == item_id][0]  # noqa: RUF015
    return item


def address(
    address1: str, address2: str, city: str, state: str, country: str, zip: str
) -> dict[str, str]:
    return {
        "address1": address1,
        "address2": address2,
        "city": city,
        "state": state,
        "country": country,
        "zip": zip,
    }
