"""Look-ups answer with the records exactly as τ-bench renders them; the tools are τ-bench's."""

from __future__ import annotations

import json

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool

from connectors.store.seed import load_seed_data, seed_store
from graph.tools.retail import RETAIL_TOOLS, RETAIL_TOOLS_BY_NAME
from runtime.resources import Resources
from tests.connectors.store.support import call

SEED = load_seed_data()


@pytest.fixture(scope="module", autouse=True)
async def seeded(resources: Resources) -> None:
    await seed_store(resources.pool, reset=True)


def test_the_tools_carry_tau_bench_names_arguments_and_descriptions() -> None:
    assert [tool.name for tool in RETAIL_TOOLS] == [
        "calculate",
        "cancel_pending_order",
        "exchange_delivered_order_items",
        "find_user_id_by_email",
        "find_user_id_by_name_zip",
        "get_order_details",
        "get_product_details",
        "get_user_details",
        "list_all_product_types",
        "modify_pending_order_address",
        "modify_pending_order_items",
        "modify_pending_order_payment",
        "modify_user_address",
        "return_delivered_order_items",
        "think",
        "transfer_to_human_agents",
    ]
    assert RETAIL_TOOLS_BY_NAME["get_order_details"].description == (
        "Get the status and details of an order."
    )
    cancel = convert_to_openai_tool(RETAIL_TOOLS_BY_NAME["cancel_pending_order"])["function"]
    assert cancel["description"].startswith("Cancel a pending order. If the order is already")
    assert cancel["description"].endswith("returns the order details after the cancellation.")
    assert cancel["parameters"]["required"] == ["order_id", "reason"]
    assert cancel["parameters"]["properties"]["reason"]["enum"] == [
        "no longer needed",
        "ordered by mistake",
    ]
    address = convert_to_openai_tool(RETAIL_TOOLS_BY_NAME["modify_user_address"])["function"]
    assert list(address["parameters"]["properties"]) == [
        "user_id",
        "address1",
        "address2",
        "city",
        "state",
        "country",
        "zip",
    ]
    listing = convert_to_openai_tool(RETAIL_TOOLS_BY_NAME["list_all_product_types"])["function"]
    assert listing["parameters"]["properties"] == {}


async def test_details_are_the_records_as_json_dumps_renders_them(resources: Resources) -> None:
    pool = resources.pool
    user = await call(pool, "get_user_details", {"user_id": "olivia_ito_3591"})
    assert user == json.dumps(SEED["users"]["olivia_ito_3591"])
    order = await call(pool, "get_order_details", {"order_id": "#W5442520"})
    assert order == json.dumps(SEED["orders"]["#W5442520"])
    product = await call(pool, "get_product_details", {"product_id": "9743693396"})
    assert product == json.dumps(SEED["products"]["9743693396"])
    assert await call(pool, "get_user_details", {"user_id": "Olivia_Ito_3591"}) == (
        "Error: user not found"
    )


async def test_users_are_found_by_email_or_by_name_and_zip(resources: Resources) -> None:
    pool = resources.pool
    found = await call(pool, "find_user_id_by_email", {"email": "Noah.Brown7922@EXAMPLE.com"})
    assert found == "noah_brown_6181"
    missing = await call(pool, "find_user_id_by_email", {"email": "noah.brown@example.com"})
    assert missing == "Error: user not found"
    unicode = await call(
        pool, "find_user_id_by_email", {"email": "noah.brown7922@exampl\u00e9.com"}
    )
    assert unicode == "Error: user not found"

    by_name = {"first_name": "noah", "last_name": "BROWN", "zip": "80279"}
    assert await call(pool, "find_user_id_by_name_zip", by_name) == "noah_brown_6181"
    wrong_zip = {**by_name, "zip": "80278"}
    assert await call(pool, "find_user_id_by_name_zip", wrong_zip) == "Error: user not found"


async def test_product_types_are_listed_by_name(resources: Resources) -> None:
    listing = await call(resources.pool, "list_all_product_types", {})
    by_name = {product["name"]: product["product_id"] for product in SEED["products"].values()}
    assert listing == json.dumps(dict(sorted(by_name.items())))
    assert len(json.loads(listing)) == 50


async def test_calculate_think_and_transfer_answer_as_tau_bench(resources: Resources) -> None:
    pool = resources.pool
    assert await call(pool, "calculate", {"expression": "(318.96 - 289.66) * 2"}) == "58.6"
    assert await call(pool, "calculate", {"expression": "1 / 0"}) == "Error: division by zero"
    assert await call(pool, "calculate", {"expression": "2 ^ 3"}) == (
        "Error: invalid characters in expression"
    )
    assert await call(pool, "think", {"thought": "The order is pending."}) == ""
    transfer = await call(pool, "transfer_to_human_agents", {"summary": "Wants a coupon."})
    assert transfer == "Transfer successful"
