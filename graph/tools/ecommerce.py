"""E-commerce tools."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from connectors.crm import customer_orders
from connectors.orders import get_order, order_total, units
from connectors.outbox import enqueue_email
from graph.tools.attention import ATTENTION_TOOLS
from graph.tools.base import ToolEnv, effect_tool, reader_tool
from graph.tools.facts import order_facts, order_total_as_amount, reorder_budget
from graph.tools.procurement import plan_reorder_tool
from graph.tools.risk import fraud_score, score_order_risk_tool


class CustomerRef(BaseModel):
    """A customer, by store user id or email address."""

    customer: str = Field(min_length=1)
    exclude_order_id: str | None = Field(
        default=None, description="Leave this order out (the one under review)."
    )


async def customer_history(env: ToolEnv, args: CustomerRef) -> dict[str, Any]:
    totals = await customer_orders(
        env.conn,
        tenant_id=env.tenant_id,
        customer=args.customer,
        exclude_order=args.exclude_order_id,
    )
    return {
        "customer": args.customer,
        "order_count": len(totals),
        "average_total": round(sum(totals) / len(totals), 2) if totals else 0.0,
    }


get_customer_history_tool = reader_tool(
    name="get_customer_history",
    description="Count a customer's earlier orders and their average total.",
    args_schema=CustomerRef,
    body=customer_history,
)


class OrderRef(BaseModel):
    """An order in the store."""

    order_id: str = Field(min_length=1)


async def reserve_order_stock(env: ToolEnv, args: OrderRef) -> dict[str, Any] | str:
    return await (await env.commerce()).reserve_stock(args.order_id)


reserve_stock_tool = effect_tool(
    name="reserve_stock",
    description="Check stock for every item of an order and reserve all of it, or none.",
    args_schema=OrderRef,
    body=reserve_order_stock,
)


async def release_order_stock(env: ToolEnv, args: OrderRef) -> dict[str, Any]:
    return await (await env.commerce()).release_stock(args.order_id)


release_stock_tool = effect_tool(
    name="release_stock",
    description="Release the stock reserved for an order (undoes reserve_stock).",
    args_schema=OrderRef,
    body=release_order_stock,
)


async def fulfill_order(env: ToolEnv, args: OrderRef) -> dict[str, Any] | str:
    backend = await env.commerce()
    return await backend.fulfill_order(args.order_id, idempotency_key=env.idempotency_key)


create_fulfillment_tool = effect_tool(
    name="create_fulfillment",
    description="Ship a pending order: a fulfillment with a tracking number for all its items.",
    args_schema=OrderRef,
    body=fulfill_order,
    facts=(order_facts, fraud_score, order_total_as_amount),
)


class Confirmation(BaseModel):
    """Which order to confirm, to whom."""

    order_id: str = Field(min_length=1)
    email: str = Field(min_length=3)


async def confirm_order(env: ToolEnv, args: Confirmation) -> dict[str, Any] | str:
    order = await get_order(env.conn, tenant_id=env.tenant_id, order_id=args.order_id)
    if order is None:
        return "Error: order not found"
    tracking = [t for f in order["fulfillments"] for t in f.get("tracking_id", [])]
    body = ORDER_CONFIRMATION.format(
        order_id=args.order_id,
        items="\n".join(item_line(item) for item in order["items"]),
        total=order_total(order),
        tracking=", ".join(tracking) or "to follow",
    )
    message_id = await enqueue_email(
        env.conn,
        tenant_id=env.tenant_id,
        idempotency_key=env.idempotency_key,
        recipient=args.email,
        subject=f"Your order {args.order_id} is on its way",
        body=body,
    )
    return {"message_id": str(message_id), "to": args.email}


def item_line(item: dict[str, Any]) -> str:
    count = units(item)
    return f"- {item['name']} ({item['price']:.2f})" + (f" x {count}" if count > 1 else "")


ORDER_CONFIRMATION = """Thank you for your order {order_id}.

{items}

Total: {total:.2f}
Tracking: {tracking}
"""

send_order_confirmation_tool = effect_tool(
    name="send_order_confirmation",
    description="Email the customer that their order is confirmed and shipped.",
    args_schema=Confirmation,
    body=confirm_order,
)


class CancelOrder(BaseModel):
    """A pending order to cancel, and why."""

    order_id: str = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=200)


async def cancel(env: ToolEnv, args: CancelOrder) -> dict[str, Any] | str:
    backend = await env.commerce()
    return await backend.cancel_order(
        args.order_id, reason=args.reason, idempotency_key=env.idempotency_key
    )


cancel_order_tool = effect_tool(
    name="cancel_order",
    description="Cancel a pending order and refund its payments to the methods that paid.",
    args_schema=CancelOrder,
    body=cancel,
)


class ProductRef(BaseModel):
    """A product in the store."""

    product_id: str = Field(min_length=1)


async def sales_velocity(env: ToolEnv, args: ProductRef) -> dict[str, Any]:
    cursor = await env.conn.execute(
        """
        SELECT i->>'item_id' AS item_id, sum(u.units) AS sold,
               sum((i->>'price')::numeric * u.units) / sum(u.units) AS price
          FROM store_orders o, json_array_elements(o.doc->'items') i,
               LATERAL (SELECT coalesce((i->>'quantity')::numeric, 1) AS units) u
         WHERE o.tenant_id = %s AND i->>'product_id' = %s AND o.status <> 'cancelled'
         GROUP BY 1 ORDER BY 2 DESC
        """,
        (env.tenant_id, args.product_id),
    )
    rows = await cursor.fetchall()
    return {
        "product_id": args.product_id,
        "orders_considered": "all store orders",
        "items": [
            {"item_id": r["item_id"], "sold": int(r["sold"]), "unit_price": float(r["price"])}
            for r in rows
        ],
    }


get_sales_velocity_tool = reader_tool(
    name="get_sales_velocity",
    description="Units sold per variant of a product, across the store's orders.",
    args_schema=ProductRef,
    body=sales_velocity,
)


class Reorder(BaseModel):
    """A proposed purchase order line."""

    product_id: str
    item_id: str
    quantity: int = Field(gt=0, le=10_000)
    unit_cost: float = Field(ge=0)
    reason: str


async def propose(env: ToolEnv, args: Reorder) -> dict[str, Any]:
    proposal_id = f"PO-{env.idempotency_key.rsplit('/', 1)[-1]}-{args.item_id}"
    await env.conn.execute(
        """
        INSERT INTO store_reorders (tenant_id, proposal_id, product_id, item_id, quantity,
                                    unit_cost, reason)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        """,
        (
            env.tenant_id,
            proposal_id,
            args.product_id,
            args.item_id,
            args.quantity,
            args.unit_cost,
            args.reason,
        ),
    )
    return {
        "proposal_id": proposal_id,
        "item_id": args.item_id,
        "quantity": args.quantity,
        "budget": round(args.quantity * args.unit_cost, 2),
    }


propose_reorder_tool = effect_tool(
    name="propose_reorder",
    description="Record a reorder proposal for a variant: quantity, unit cost and why.",
    args_schema=Reorder,
    body=propose,
    facts=(reorder_budget,),
)


ECOMMERCE_TOOLS = (
    *ATTENTION_TOOLS,
    plan_reorder_tool,
    score_order_risk_tool,
    get_customer_history_tool,
    reserve_stock_tool,
    release_stock_tool,
    create_fulfillment_tool,
    send_order_confirmation_tool,
    cancel_order_tool,
    get_sales_velocity_tool,
    propose_reorder_tool,
)
