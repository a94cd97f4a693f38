"""τ-bench's retail customer-service tools on the local store.

Names, argument names and descriptions are τ-bench's (sierra-research/tau-bench,
`tau_bench/envs/retail/tools/`), and so are the answers: the operations in
`connectors.store.retail` reproduce them. Look-ups are readers; changes are effect tools, so
each runs once per (thread, tool call id) through the ledger.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from langchain_core.tools import InjectedToolArg, StructuredTool
from pydantic import BaseModel, Field, WithJsonSchema

from connectors.store import retail
from connectors.store.rules import CANCEL_REASONS
from graph.tools.base import ToolEnv, effect_tool, reader_tool

ORDER_ID = (
    "The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of"
    " the order id."
)
USER_ID = "The user id, such as 'sara_doe_496'."
PAYMENT_METHOD_ID = (
    "The payment method id to pay or receive refund for the item price difference, such as"
    " 'gift_card_0000000' or 'credit_card_0000000'. These can be looked up from the user or"
    " order details."
)
ADDRESS1 = "The first line of the address, such as '123 Main St'."
ADDRESS2 = "The second line of the address, such as 'Apt 1' or ''."
CITY = "The city, such as 'San Francisco'."
STATE = "The province, such as 'CA'."
COUNTRY = "The country, such as 'USA'."
ZIP = "The zip code, such as '12345'."


class CalculateArgs(BaseModel):
    """Calculate the result of a mathematical expression."""

    expression: str = Field(
        description="The mathematical expression to calculate, such as '2 + 2'. The expression"
        " can contain numbers, operators (+, -, *, /), parentheses, and spaces."
    )


class CancelPendingOrderArgs(BaseModel):
    """Cancel a pending order. If the order is already processed or delivered, it cannot be
    cancelled. The agent needs to explain the cancellation detail and ask for explicit user
    confirmation (yes/no) to proceed. If the user confirms, the order status will be changed
    to 'cancelled' and the payment will be refunded. The refund will be added to the user's
    gift card balance immediately if the payment was made using a gift card, otherwise the
    refund would take 5-7 business days to process. The function returns the order details
    after the cancellation."""

    order_id: str = Field(description=ORDER_ID)
    # The enum is advertised, not enforced, so an unknown reason gets τ-bench's own answer.
    reason: Annotated[str, WithJsonSchema({"type": "string", "enum": [*CANCEL_REASONS]})] = Field(
        description="The reason for cancellation, which should be either 'no longer needed' or"
        " 'ordered by mistake'."
    )


class ExchangeDeliveredOrderItemsArgs(BaseModel):
    """Exchange items in a delivered order to new items of the same product type. For a
    delivered order, return or exchange can be only done once by the agent. The agent needs to
    explain the exchange detail and ask for explicit user confirmation (yes/no) to proceed."""

    order_id: str = Field(description=ORDER_ID)
    item_ids: list[str] = Field(
        description="The item ids to be exchanged, each such as '1008292230'. There could be"
        " duplicate items in the list."
    )
    new_item_ids: list[str] = Field(
        description="The item ids to be exchanged for, each such as '1008292230'. There could be"
        " duplicate items in the list. Each new item id should match the item id in the same"
        " position and be of the same product."
    )
    payment_method_id: str = Field(description=PAYMENT_METHOD_ID)


class FindUserIdByEmailArgs(BaseModel):
    """Find user id by email. If the user is not found, the function will return an error
    message."""

    email: str = Field(description="The email of the user, such as 'something@example.com'.")


class FindUserIdByNameZipArgs(BaseModel):
    """Find user id by first name, last name, and zip code. If the user is not found, the
    function will return an error message. By default, find user id by email, and only call
    this function if the user is not found by email or cannot remember email."""

    first_name: str = Field(description="The first name of the customer, such as 'John'.")
    last_name: str = Field(description="The last name of the customer, such as 'Doe'.")
    zip: str = Field(description="The zip code of the customer, such as '12345'.")


class GetOrderDetailsArgs(BaseModel):
    """Get the status and details of an order."""

    order_id: str = Field(description=ORDER_ID)


class GetProductDetailsArgs(BaseModel):
    """Get the inventory details of a product."""

    product_id: str = Field(
        description="The product id, such as '6086499569'. Be careful the product id is"
        " different from the item id."
    )


class GetUserDetailsArgs(BaseModel):
    """Get the details of a user."""

    user_id: str = Field(description=USER_ID)


class ListAllProductTypesArgs(BaseModel):
    """List the name and product id of all product types. Each product type has a variety of
    different items with unique item ids and options. There are only 50 product types in the
    store."""

    # langchain-core calls a tool whose schema has no fields with no arguments at all, not
    # even the injected runtime the reader needs; an injected field keeps the schema non-empty
    # while the model still sees no parameters.
    no_arguments: Annotated[None, InjectedToolArg] = None


class ModifyPendingOrderAddressArgs(BaseModel):
    """Modify the shipping address of a pending order. The agent needs to explain the
    modification detail and ask for explicit user confirmation (yes/no) to proceed."""

    order_id: str = Field(description=ORDER_ID)
    address1: str = Field(description=ADDRESS1)
    address2: str = Field(description=ADDRESS2)
    city: str = Field(description=CITY)
    state: str = Field(description=STATE)
    country: str = Field(description=COUNTRY)
    zip: str = Field(description=ZIP)


class ModifyPendingOrderItemsArgs(BaseModel):
    """Modify items in a pending order to new items of the same product type. For a pending
    order, this function can only be called once. The agent needs to explain the exchange
    detail and ask for explicit user confirmation (yes/no) to proceed."""

    order_id: str = Field(description=ORDER_ID)
    item_ids: list[str] = Field(
        description="The item ids to be modified, each such as '1008292230'. There could be"
        " duplicate items in the list."
    )
    new_item_ids: list[str] = Field(
        description="The item ids to be modified for, each such as '1008292230'. There could be"
        " duplicate items in the list. Each new item id should match the item id in the same"
        " position and be of the same product."
    )
    payment_method_id: str = Field(description=PAYMENT_METHOD_ID)


class ModifyPendingOrderPaymentArgs(BaseModel):
    """Modify the payment method of a pending order. The agent needs to explain the
    modification detail and ask for explicit user confirmation (yes/no) to proceed."""

    order_id: str = Field(description=ORDER_ID)
    payment_method_id: str = Field(description=PAYMENT_METHOD_ID)


class ModifyUserAddressArgs(BaseModel):
    """Modify the default address of a user. The agent needs to explain the modification
    detail and ask for explicit user confirmation (yes/no) to proceed."""

    user_id: str = Field(description=USER_ID)
    address1: str = Field(description=ADDRESS1)
    address2: str = Field(description=ADDRESS2)
    city: str = Field(description=CITY)
    state: str = Field(description=STATE)
    country: str = Field(description=COUNTRY)
    zip: str = Field(description=ZIP)


class ReturnDeliveredOrderItemsArgs(BaseModel):
    """Return some items of a delivered order. The order status will be changed to 'return
    requested'. The agent needs to explain the return detail and ask for explicit user
    confirmation (yes/no) to proceed. The user will receive follow-up email for how and where to
    return the item."""

    order_id: str = Field(description=ORDER_ID)
    item_ids: list[str] = Field(
        description="The item ids to be returned, each such as '1008292230'. There could be"
        " duplicate items in the list."
    )
    payment_method_id: str = Field(description=PAYMENT_METHOD_ID)


class ThinkArgs(BaseModel):
    """Use the tool to think about something. It will not obtain new information or change the
    database, but just append the thought to the log. Use it when complex reasoning or some
    cache memory is needed."""

    thought: str = Field(description="A thought to think about.")


class TransferToHumanAgentsArgs(BaseModel):
    """Transfer the user to a human agent, with a summary of the user's issue. Only transfer if
    the user explicitly asks for a human agent, or if the user's issue cannot be resolved by
    the agent with the available tools."""

    summary: str = Field(description="A summary of the user's issue.")


def describe(schema: type[BaseModel]) -> str:
    """The schema's docstring on one line: τ-bench's tool description, word for word."""
    return " ".join((schema.__doc__ or "").split())


def on_store(name: str) -> Callable[[ToolEnv, BaseModel], Awaitable[str]]:
    """A tool body running store operation `name` on the call's connection and tenant."""
    operation = retail.OPERATIONS[name]

    async def body(env: ToolEnv, args: BaseModel) -> str:
        return await operation(env.conn, env.tenant_id, **args.model_dump(exclude={"no_arguments"}))

    return body


def reader(name: str, schema: type[BaseModel]) -> StructuredTool:
    return reader_tool(
        name=name, description=describe(schema), args_schema=schema, body=on_store(name)
    )


def changer(name: str, schema: type[BaseModel]) -> StructuredTool:
    return effect_tool(
        name=name, description=describe(schema), args_schema=schema, body=on_store(name)
    )


RETAIL_TOOLS: tuple[StructuredTool, ...] = (
    reader("calculate", CalculateArgs),
    changer("cancel_pending_order", CancelPendingOrderArgs),
    changer("exchange_delivered_order_items", ExchangeDeliveredOrderItemsArgs),
    reader("find_user_id_by_email", FindUserIdByEmailArgs),
    reader("find_user_id_by_name_zip", FindUserIdByNameZipArgs),
    reader("get_order_details", GetOrderDetailsArgs),
    reader("get_product_details", GetProductDetailsArgs),
    reader("get_user_details", GetUserDetailsArgs),
    reader("list_all_product_types", ListAllProductTypesArgs),
    changer("modify_pending_order_address", ModifyPendingOrderAddressArgs),
    changer("modify_pending_order_items", ModifyPendingOrderItemsArgs),
    changer("modify_pending_order_payment", ModifyPendingOrderPaymentArgs),
    changer("modify_user_address", ModifyUserAddressArgs),
    changer("return_delivered_order_items", ReturnDeliveredOrderItemsArgs),
    reader("think", ThinkArgs),
    reader("transfer_to_human_agents", TransferToHumanAgentsArgs),
)
"""The sixteen tools, in τ-bench's order."""

RETAIL_TOOLS_BY_NAME: dict[str, StructuredTool] = {tool.name: tool for tool in RETAIL_TOOLS}
