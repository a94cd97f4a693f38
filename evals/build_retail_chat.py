"""The retail tasks as chat scripts (`task-NN-chat` in `retail.jsonl`): the customer identifies
by name and zip, asks for the gold operation in plain words, confirms with a plain "yes"; a
scripted reviewer accepts when the order is large enough to need approval.

Only the tasks the offline chat procedure can carry out are scripted: cancelling a pending
order for one of the two reasons τ-bench allows, and returning named items of a delivered
order to the payment method it was paid with. Exchanges, item and address changes and
returns to another method have no offline chat intent (a model can do them; the direct
trajectories in `task-NN-direct` cover them), so they are left out rather than failing.
Expectations: the gold calls with exact arguments inside the chat's own look-ups
(`superset`; item ids listed in the order's own order, which asks for the same items), the
approval rule when the order total is over 200, τ-bench's end state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

APPROVAL_OVER = 200.0
REASONS = ("no longer needed", "ordered by mistake")
SeedReader = Callable[[str], Any]


def order_total(order: dict[str, Any]) -> float:
    return round(sum(float(item["price"]) for item in order.get("items", [])), 2)


def first_payment(order: dict[str, Any]) -> str | None:
    for payment in order.get("payment_history", []):
        if payment.get("transaction_type") == "payment":
            return str(payment["payment_method_id"])
    return None


def request_for(action: dict[str, Any], order: dict[str, Any]) -> str | None:
    """The user's words for the gold action, or None when offline chat cannot do it."""
    name, kwargs, status = action["name"], action["kwargs"], order["status"]
    if name == "cancel_pending_order" and status == "pending" and kwargs["reason"] in REASONS:
        return f"cancel order {kwargs['order_id']}, {kwargs['reason']}"
    to_payer = kwargs.get("payment_method_id") == first_payment(order)
    if name == "return_delivered_order_items" and status == "delivered" and to_payer:
        items = ", ".join(kwargs["item_ids"])
        return f"please return items {items} of order {kwargs['order_id']}"
    return None


def retail_chat_cases(read_seed_file: SeedReader) -> list[dict[str, Any]]:
    tasks = read_seed_file("tasks_dev.json")
    expected = read_seed_file("tasks_dev_expected.json")
    users, orders = read_seed_file("users.json"), read_seed_file("orders.json")
    cases: list[dict[str, Any]] = []
    for index, (task, gold) in enumerate(zip(tasks, expected, strict=True)):
        if len(task["actions"]) != 1:
            continue
        (action,) = task["actions"]
        order = orders[action["kwargs"]["order_id"]]
        request = request_for(action, order)
        if request is None:
            continue
        user = users[task["user_id"]]
        who = (
            f"Hi, I'm {user['name']['first_name']} {user['name']['last_name']}, "
            f"zip {user['address']['zip']}"
        )
        large = order_total(order) > APPROVAL_OVER
        gold_args = dict(action["kwargs"])
        if "item_ids" in gold_args:  # the order's own item order: the same request
            position = {item["item_id"]: n for n, item in enumerate(order["items"])}
            gold_args["item_ids"] = sorted(gold_args["item_ids"], key=position.__getitem__)
        cases.append(
            {
                "id": f"task-{index:02d}-chat",
                "kind": "chat",
                "description": task["instruction"],
                "tags": ["retail", "chat"],
                "chat": {
                    "turns": [
                        {"user": who},
                        {"user": request, "expect": {"facts": ["Reply yes to confirm"]}},
                        {"user": "yes"},
                    ]
                },
                "decisions": [{"tool": action["name"], "type": "accept"}],
                "expect": {
                    "tool_calls": [{"name": action["name"], "args": gold_args}],
                    "trajectory": "superset",
                    "tool_args": {action["name"]: "exact"},
                    "approvals": ["large_retail_refund"] if large else [],
                    "end_state": {
                        "orders": gold.get("changed_orders") or {},
                        "users": gold.get("changed_users") or {},
                    },
                },
            }
        )
    return cases
