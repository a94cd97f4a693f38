"""An order that cannot go on as planned becomes an attention item, never a silent stop.

`resolve_order_problem` asks a person on every call (an attention item in the approvals
inbox): what happened, why, and the remedy the system recommends among those it can carry
out. Accepting takes the recommendation, an edit picks another remedy, a response or
ignore leaves the order on hold. Its result is the chosen remedy; the specialist then
carries it out with the remedy's own tools, each gated as usual (a reorder by the reorder
budget rule).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from connectors.engagement import customer_email
from connectors.orders import get_order
from connectors.outbox import enqueue_email
from graph.tools.base import ToolEnv, effect_tool
from graph.tools.facts import order_facts

Remedy = Literal["reorder", "cancel_and_refund", "substitute", "hold_and_ask"]

REMEDIES: dict[str, str] = {
    "reorder": "reorder the short items through procurement (the reorder budget rule applies)",
    "cancel_and_refund": "cancel the order and refund what was paid",
    "substitute": "offer the customer `substitute_item_id` instead",
    "hold_and_ask": "keep the order on hold and ask the customer (`message`)",
}


class ReorderLine(BaseModel):
    """One line of a proposed purchase, with the figures it was sized by."""

    product_id: str
    item_id: str
    quantity: int = Field(gt=0, le=10_000)
    unit_cost: float = Field(ge=0)
    reason: str = ""
    figures: dict[str, Any] = Field(default_factory=dict)


class OrderProblem(BaseModel):
    """An order that cannot go on as it is, why, and the remedy to take."""

    order_id: str = Field(min_length=1)
    problem: Literal["stock_short", "unknown_item"]
    reason: str = Field(min_length=1, max_length=2000, description="What happened and why.")
    remedy: Remedy = Field(description="The remedy to carry out; see `remedies`.")
    reorder: list[ReorderLine] = Field(default_factory=list, max_length=50)
    substitute_item_id: str | None = None
    message: str | None = Field(default=None, max_length=2000)
    remedies: dict[str, str] = Field(default_factory=lambda: dict(REMEDIES))


async def choose_remedy(env: ToolEnv, args: OrderProblem) -> dict[str, Any]:
    """The decided remedy (the reviewer's choice reaches here through the gate)."""
    del env
    return args.model_dump(mode="json", exclude={"remedies"})


resolve_order_problem_tool = effect_tool(
    name="resolve_order_problem",
    description=(
        "Raise an attention item for an order that cannot go on (stock short, an item the "
        "store does not know): a reviewer picks the remedy; answers the chosen one."
    ),
    args_schema=OrderProblem,
    body=choose_remedy,
    facts=(order_facts,),
    attention=True,
)


class CustomerQuestion(BaseModel):
    """A message to an order's customer while the order is on hold."""

    order_id: str = Field(min_length=1)
    message: str = Field(min_length=1, max_length=2000)
    email: str | None = Field(default=None, description="Default: the customer's on record.")


async def ask(env: ToolEnv, args: CustomerQuestion) -> dict[str, Any] | str:
    order = await get_order(env.conn, tenant_id=env.tenant_id, order_id=args.order_id)
    if order is None:
        return "Error: order not found"
    user = str(order["user_id"])
    email = args.email or await customer_email(env.conn, tenant_id=env.tenant_id, user_id=user)
    email = email or (user if "@" in user else None)
    if not email:
        return f"Error: no email address on record for order {args.order_id}"
    message_id = await enqueue_email(
        env.conn,
        tenant_id=env.tenant_id,
        idempotency_key=env.idempotency_key,
        recipient=email,
        subject=f"A question about your order {args.order_id}",
        body=args.message,
    )
    return {"message_id": str(message_id), "to": email}


ask_customer_tool = effect_tool(
    name="ask_customer",
    description="Email an order's customer a question while the order is on hold.",
    args_schema=CustomerQuestion,
    body=ask,
)

ATTENTION_TOOLS = (resolve_order_problem_tool, ask_customer_tool)
