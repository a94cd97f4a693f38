"""The τ-bench retail customer-service operations on the local store.

Every operation takes the connection and the tenant, then τ-bench's own keyword arguments,
and answers exactly what the tool of the same name in sierra-research/tau-bench
(`tau_bench/envs/retail/tools/`) returns: a record as `json.dumps` renders it, a user id, or
an "Error: ..." string. Changes lock the records they touch (`SELECT ... FOR UPDATE`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from connectors.store import calculate as calculator
from connectors.store.documents import Conn
from connectors.store.retail_lookup import (
    find_user_id_by_email,
    find_user_id_by_name_zip,
    get_order_details,
    get_product_details,
    get_user_details,
    list_all_product_types,
)
from connectors.store.retail_orders import (
    cancel_pending_order,
    exchange_delivered_order_items,
    modify_pending_order_address,
    modify_pending_order_items,
    modify_pending_order_payment,
    return_delivered_order_items,
)
from connectors.store.retail_users import modify_user_address

Operation = Callable[..., Awaitable[str]]


async def calculate(_conn: Conn, _tenant_id: str, *, expression: str) -> str:
    return calculator.calculate(expression)


async def think(_conn: Conn, _tenant_id: str, *, thought: str) -> str:  # noqa: ARG001
    """Nothing to look up or change: the thought only lands in the conversation."""
    return ""


async def transfer_to_human_agents(_conn: Conn, _tenant_id: str, *, summary: str) -> str:  # noqa: ARG001
    """The hand-off itself belongs to the caller; the store only acknowledges it."""
    return "Transfer successful"


OPERATIONS: dict[str, Operation] = {
    "calculate": calculate,
    "cancel_pending_order": cancel_pending_order,
    "exchange_delivered_order_items": exchange_delivered_order_items,
    "find_user_id_by_email": find_user_id_by_email,
    "find_user_id_by_name_zip": find_user_id_by_name_zip,
    "get_order_details": get_order_details,
    "get_product_details": get_product_details,
    "get_user_details": get_user_details,
    "list_all_product_types": list_all_product_types,
    "modify_pending_order_address": modify_pending_order_address,
    "modify_pending_order_items": modify_pending_order_items,
    "modify_pending_order_payment": modify_pending_order_payment,
    "modify_user_address": modify_user_address,
    "return_delivered_order_items": return_delivered_order_items,
    "think": think,
    "transfer_to_human_agents": transfer_to_human_agents,
}
"""Each operation under τ-bench's tool name."""

__all__ = [
    "OPERATIONS",
    "Operation",
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
