"""Invalid calls get τ-bench's error answers and change nothing; repeats apply once."""

from __future__ import annotations

import asyncio
import json

import pytest

from connectors.ledger import ledger_entries
from connectors.store.export import export_store
from connectors.store.seed import seed_store
from graph.context import OpsContext
from graph.tools.direct import call_tool
from graph.tools.retail import RETAIL_TOOLS_BY_NAME
from runtime.resources import Resources
from tests.connectors.store.support import call, dumped

ADDRESS = {
    "address1": "1 Main St",
    "address2": "",
    "city": "Springfield",
    "state": "IL",
    "country": "USA",
    "zip": "62701",
}

# A delivered order whose customer pays by a gift card holding 69.
DELIVERED = "#W4817420"
# A pending order paid by paypal_7859314; the customer's gift card holds 22.
PENDING = "#W2443586"

INVALID_CALLS = [
    (
        "cancel_pending_order",
        {"order_id": DELIVERED, "reason": "no longer needed"},
        "Error: non-pending order cannot be cancelled",
    ),
    (
        "cancel_pending_order",
        {"order_id": "#W0000000", "reason": "no longer needed"},
        "Error: order not found",
    ),
    (
        "cancel_pending_order",
        {"order_id": PENDING, "reason": "found it cheaper"},
        "Error: invalid reason",
    ),
    (
        "modify_pending_order_payment",
        {"order_id": PENDING, "payment_method_id": "credit_card_0000000"},
        "Error: payment method not found",
    ),
    (
        "modify_pending_order_payment",
        {"order_id": PENDING, "payment_method_id": "paypal_7859314"},
        "Error: the new payment method should be different from the current one",
    ),
    (
        "modify_pending_order_payment",
        {"order_id": PENDING, "payment_method_id": "gift_card_2742113"},
        "Error: insufficient gift card balance to pay for the order",
    ),
    (
        "modify_pending_order_payment",
        {"order_id": "#W2611340", "payment_method_id": "gift_card_2742113"},
        "Error: non-pending order cannot be modified",
    ),
    (
        "modify_pending_order_items",
        {
            "order_id": "#W5918442",
            "item_ids": ["1725100896"],
            "new_item_ids": ["1002370030"],
            "payment_method_id": "credit_card_5051208",
        },
        "Error: new item 1002370030 not found or available",
    ),
    (
        "modify_pending_order_items",
        {
            "order_id": "#W5918442",
            "item_ids": ["1725100896", "1725100896"],
            "new_item_ids": ["9007697085", "9007697085"],
            "payment_method_id": "credit_card_5051208",
        },
        "Error: 1725100896 not found",
    ),
    (
        "modify_pending_order_items",
        {
            "order_id": "#W5918442",
            "item_ids": ["1725100896"],
            "new_item_ids": ["9007697085"],
            "payment_method_id": "paypal_0000000",
        },
        "Error: payment method not found",
    ),
    (
        "modify_pending_order_address",
        {"order_id": DELIVERED, **ADDRESS},
        "Error: non-pending order cannot be modified",
    ),
    (
        "exchange_delivered_order_items",
        {
            "order_id": DELIVERED,
            "item_ids": ["4900661478"],
            "new_item_ids": [],
            "payment_method_id": "gift_card_8168843",
        },
        "Error: the number of items to be exchanged should match",
    ),
    (
        "exchange_delivered_order_items",
        {
            "order_id": DELIVERED,
            "item_ids": ["4900661478"],
            "new_item_ids": ["4894369688"],
            "payment_method_id": "gift_card_8168843",
        },
        "Error: insufficient gift card balance to pay for the price difference",
    ),
    (
        "exchange_delivered_order_items",
        {
            "order_id": DELIVERED,
            "item_ids": ["1234567890"],
            "new_item_ids": ["4894369688"],
            "payment_method_id": "gift_card_8168843",
        },
        "Error: 1234567890 not found",
    ),
    (
        "exchange_delivered_order_items",
        {
            "order_id": PENDING,
            "item_ids": [],
            "new_item_ids": [],
            "payment_method_id": "paypal_7859314",
        },
        "Error: non-delivered order cannot be exchanged",
    ),
    (
        "return_delivered_order_items",
        {
            "order_id": "#W9077205",
            "item_ids": ["9370300555"],
            "payment_method_id": "paypal_4101143",
        },
        "Error: payment method should be either the original payment method or a gift card",
    ),
    (
        "return_delivered_order_items",
        {
            "order_id": DELIVERED,
            "item_ids": ["0000000000"],
            "payment_method_id": "gift_card_8168843",
        },
        "Error: some item not found",
    ),
    (
        "return_delivered_order_items",
        {"order_id": PENDING, "item_ids": [], "payment_method_id": "paypal_7859314"},
        "Error: non-delivered order cannot be returned",
    ),
    ("modify_user_address", {"user_id": "nobody_0000", **ADDRESS}, "Error: user not found"),
    ("get_order_details", {"order_id": "W4817420"}, "Error: order not found"),
    ("get_product_details", {"product_id": "4900661478"}, "Error: product not found"),
]


@pytest.fixture(autouse=True)
async def seeded(resources: Resources) -> None:
    """Every test starts from the seed (a reset takes a few tens of milliseconds)."""
    await seed_store(resources.pool, reset=True)


@pytest.mark.parametrize(
    ("name", "args", "error"), INVALID_CALLS, ids=[error for _, _, error in INVALID_CALLS]
)
async def test_an_invalid_call_answers_the_error_and_changes_nothing(
    resources: Resources, name: str, args: dict[str, object], error: str
) -> None:
    before = dumped(await export_store(resources.pool))
    assert await call(resources.pool, name, args) == error
    assert dumped(await export_store(resources.pool)) == before


async def test_a_pending_order_has_its_items_modified_only_once(resources: Resources) -> None:
    args = {
        "order_id": "#W5918442",
        "item_ids": ["1725100896"],
        "new_item_ids": ["9007697085"],
        "payment_method_id": "credit_card_5051208",
    }
    first = json.loads(await call(resources.pool, "modify_pending_order_items", args))
    assert first["status"] == "pending (item modified)"
    assert first["payment_history"][-1] == {
        "transaction_type": "payment",
        "amount": 318.96 - 289.66,
        "payment_method_id": "credit_card_5051208",
    }
    before = dumped(await export_store(resources.pool))
    again = {**args, "item_ids": ["9007697085"], "new_item_ids": ["3399869890"]}
    assert (
        await call(resources.pool, "modify_pending_order_items", again)
        == "Error: non-pending order cannot be modified"
    )
    assert dumped(await export_store(resources.pool)) == before


async def test_a_repeated_call_id_is_applied_once(resources: Resources) -> None:
    # Paid with a gift card holding 49: cancelling refunds 4079.45 to it at once.
    args = {"order_id": "#W6779827", "reason": "ordered by mistake"}
    answers = [
        await call(
            resources.pool,
            "cancel_pending_order",
            args,
            thread_id="t-repeat",
            call_id="cancel-1",
        )
        for _ in range(3)
    ]
    assert len(set(answers)) == 1
    exported = await export_store(resources.pool)
    order = exported["orders"]["#W6779827"]
    assert [entry["transaction_type"] for entry in order["payment_history"]] == [
        "payment",
        "refund",
    ]
    card = exported["users"]["ethan_lopez_6291"]["payment_methods"]["gift_card_7219486"]
    assert card["balance"] == 4128.45
    entries = await ledger_entries(resources.pool, tenant_id="default", thread_id="t-repeat")
    assert [(entry["tool_call_id"], entry["tool_name"]) for entry in entries] == [
        ("cancel-1", "cancel_pending_order")
    ]
    assert entries[0]["result"] == {"value": answers[0]}

    # A new call id is a new request, and τ-bench refuses it.
    again = await call(resources.pool, "cancel_pending_order", args, thread_id="t-repeat")
    assert again == "Error: non-pending order cannot be cancelled"


async def test_arguments_of_the_wrong_type_are_refused_before_anything_runs(
    resources: Resources,
) -> None:
    before = dumped(await export_store(resources.pool))
    reply = await call_tool(
        RETAIL_TOOLS_BY_NAME["return_delivered_order_items"],
        {"order_id": DELIVERED, "item_ids": "4900661478", "payment_method_id": "gift_card_8168843"},
        context=OpsContext(pool=resources.pool, gated=False),
        tenant_id="default",
        thread_id="t-bad-args",
        call_id="bad-1",
    )
    assert reply.status == "error"
    assert "item_ids" in str(reply.content)
    assert dumped(await export_store(resources.pool)) == before
    assert await ledger_entries(resources.pool, tenant_id="default", thread_id="t-bad-args") == []


async def test_concurrent_cancels_of_one_order_refund_once(resources: Resources) -> None:
    args = {"order_id": "#W6779827", "reason": "no longer needed"}
    answers = await asyncio.gather(
        *(
            call(resources.pool, "cancel_pending_order", args, thread_id=f"t-race-{n}")
            for n in range(3)
        )
    )
    refused = [answer for answer in answers if answer.startswith("Error")]
    assert refused == ["Error: non-pending order cannot be cancelled"] * 2
    exported = await export_store(resources.pool)
    card = exported["users"]["ethan_lopez_6291"]["payment_methods"]["gift_card_7219486"]
    assert card["balance"] == 4128.45
