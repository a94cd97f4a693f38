"""τ-bench's rules on plain records: the quirks kept on purpose."""

from __future__ import annotations

import json

from connectors.store import rules
from connectors.store.documents import StoreData
from connectors.store.rules import apply_rule


def small_store() -> StoreData:
    return {
        "users": {
            "ann_1": {
                "payment_methods": {
                    "gift_card_1": {"source": "gift_card", "balance": 10, "id": "gift_card_1"},
                    "paypal_1": {"source": "paypal", "id": "paypal_1"},
                }
            }
        },
        "orders": {
            "#W1": {
                "order_id": "#W1",
                "user_id": "ann_1",
                "items": [
                    {"product_id": "p1", "item_id": "a", "price": 10.1, "options": {"c": "red"}},
                    {"product_id": "p1", "item_id": "a", "price": 10.1, "options": {"c": "red"}},
                ],
                "status": "pending",
                "payment_history": [
                    {
                        "transaction_type": "payment",
                        "amount": 5.5,
                        "payment_method_id": "gift_card_1",
                    },
                    {
                        "transaction_type": "payment",
                        "amount": 14.7,
                        "payment_method_id": "gift_card_9",
                    },
                ],
            }
        },
        "products": {
            "p1": {
                "variants": {
                    "a": {
                        "item_id": "a",
                        "options": {"c": "red"},
                        "available": True,
                        "price": 10.1,
                    },
                    "b": {
                        "item_id": "b",
                        "options": {"c": "blue"},
                        "available": True,
                        "price": 10.1,
                    },
                }
            }
        },
    }


def test_a_failure_midway_answers_the_exception_and_keeps_earlier_changes() -> None:
    # The second payment's gift card is not the customer's: τ-bench has already refunded
    # the first card when the look-up fails, and its environment keeps that change.
    data = small_store()
    answer = apply_rule(rules.cancel_pending_order, data, order_id="#W1", reason="no longer needed")
    assert answer == "Error: 'gift_card_9'"
    assert data["users"]["ann_1"]["payment_methods"]["gift_card_1"]["balance"] == 15.5
    assert data["orders"]["#W1"]["status"] == "pending"


def test_an_even_swap_records_a_refund_of_float_zero_and_an_empty_one_of_int_zero() -> None:
    data = small_store()
    data["orders"]["#W1"]["payment_history"] = data["orders"]["#W1"]["payment_history"][:1]
    even = apply_rule(
        rules.modify_pending_order_items,
        data,
        order_id="#W1",
        item_ids=["a", "a"],
        new_item_ids=["b", "b"],
        payment_method_id="paypal_1",
    )
    refund = json.loads(even)["payment_history"][-1]
    assert refund == {"transaction_type": "refund", "amount": 0.0, "payment_method_id": "paypal_1"}
    assert '"amount": 0.0' in even
    assert [item["item_id"] for item in data["orders"]["#W1"]["items"]] == ["b", "b"]

    data = small_store()
    data["orders"]["#W1"]["status"] = "delivered"
    empty = apply_rule(
        rules.exchange_delivered_order_items,
        data,
        order_id="#W1",
        item_ids=[],
        new_item_ids=[],
        payment_method_id="paypal_1",
    )
    assert '"exchange_price_difference": 0}' in empty


def with_quantities(*quantities: int) -> StoreData:
    """The small store with order #W1 as a mirrored platform order: one record per line."""
    data = small_store()
    data["orders"]["#W1"]["payment_history"] = data["orders"]["#W1"]["payment_history"][:1]
    line = {"product_id": "p1", "item_id": "a", "price": 10.1, "options": {"c": "red"}}
    data["orders"]["#W1"]["items"] = [
        {**line, "quantity": quantity} if quantity > 1 else dict(line) for quantity in quantities
    ]
    return data


def test_a_record_with_a_quantity_counts_as_that_many_units() -> None:
    def return_units(count: int) -> str:
        data = with_quantities(3)
        data["orders"]["#W1"]["status"] = "delivered"
        return apply_rule(
            rules.return_delivered_order_items,
            data,
            order_id="#W1",
            item_ids=["a"] * count,
            payment_method_id="gift_card_1",
        )

    assert json.loads(return_units(3))["return_items"] == ["a", "a", "a"]
    assert return_units(4) == "Error: some item not found"


def test_swapping_units_splits_them_off_their_line() -> None:
    data = with_quantities(3)
    answer = apply_rule(
        rules.modify_pending_order_items,
        data,
        order_id="#W1",
        item_ids=["a", "a"],
        new_item_ids=["b", "b"],
        payment_method_id="paypal_1",
    )

    assert json.loads(answer)["status"] == "pending (item modified)"
    items = data["orders"]["#W1"]["items"]
    assert [(item["item_id"], item.get("quantity", 1)) for item in items] == [
        ("a", 1),
        ("b", 1),
        ("b", 1),
    ]
    assert "quantity" not in items[0]
    assert items[1]["options"] == {"c": "blue"}


def test_swapping_more_units_than_a_line_holds_is_refused() -> None:
    data = with_quantities(2)
    answer = apply_rule(
        rules.modify_pending_order_items,
        data,
        order_id="#W1",
        item_ids=["a", "a", "a"],
        new_item_ids=["b", "b", "b"],
        payment_method_id="paypal_1",
    )

    assert answer == "Error: a not found"
    assert data["orders"]["#W1"]["items"][0]["quantity"] == 2


def test_units_are_counted_across_records() -> None:
    data = with_quantities(2, 1)
    data["orders"]["#W1"]["status"] = "delivered"
    answer = apply_rule(
        rules.exchange_delivered_order_items,
        data,
        order_id="#W1",
        item_ids=["a", "a", "a"],
        new_item_ids=["b", "b", "b"],
        payment_method_id="paypal_1",
    )

    assert json.loads(answer)["exchange_items"] == ["a", "a", "a"]
    assert json.loads(answer)["exchange_price_difference"] == 0.0
