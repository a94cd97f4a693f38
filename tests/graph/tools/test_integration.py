"""plan_channel_sync: upsert everywhere, or lock every channel when out of stock."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from graph.tools.integration import DEFAULT_CHANNELS, plan_channel_sync


def test_out_of_stock_locks_every_channel() -> None:
    plan = plan_channel_sync(product_id="77", name="Trail Shoe", price=119.0, stock=0)

    assert plan["product_id"] == "77"
    assert [(u["channel"], u["action"]) for u in plan["updates"]] == [
        (channel, "lock") for channel in DEFAULT_CHANNELS
    ]
    assert all(
        u["fields"] == {"name": "Trail Shoe", "price": 119.0, "stock": 0} for u in plan["updates"]
    )


def test_out_of_stock_locks_the_channels_asked_for() -> None:
    plan = plan_channel_sync(product_id="77", stock=0, channels=["webshop", "amazon"])

    assert [(u["channel"], u["action"]) for u in plan["updates"]] == [
        ("webshop", "lock"),
        ("amazon", "lock"),
    ]


@pytest.mark.parametrize(("stock", "fields"), [(1, {"stock": 1}), (None, {})])
def test_in_stock_or_unknown_stock_upserts_the_known_fields(
    stock: int | None, fields: dict[str, Any]
) -> None:
    plan = plan_channel_sync(product_id="77", stock=stock)

    assert {u["channel"]: u["action"] for u in plan["updates"]} == dict.fromkeys(
        DEFAULT_CHANNELS, "upsert"
    )
    assert all(u["fields"] == fields for u in plan["updates"])


@pytest.mark.parametrize(
    "arguments",
    [
        {"product_id": "77", "channels": []},
        {"product_id": "77", "stock": -1},
        {"product_id": "77", "price": -0.01},
        {"stock": 3},
    ],
)
def test_invalid_arguments_are_rejected(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        plan_channel_sync(**arguments)
