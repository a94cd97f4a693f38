"""Attention items: a specialist that cannot reach its goal asks a person, never stops silently.

One small API for every specialist: `attention_tool` makes a tool that raises an attention
item on every call (the same interrupt, approvals row, notification and inbox as an
approval): what happened, why, and the remedies the specialist can carry out, one of them
recommended. Accepting takes the recommendation, an edit picks another (with its `details`),
a response or ignore leaves things as they are. The tool's result is the chosen remedy; the
specialist then carries it out with the remedy's own tools, each gated as usual.

`raise_attention` is the general tool (`attention_args` builds its call);
`resolve_order_problem` is the order room's, with its reorder lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field, model_validator

from connectors.engagement import customer_email
from connectors.orders import get_order
from connectors.outbox import enqueue_email
from graph.facts import FactSource
from graph.tools.base import ToolEnv, effect_tool
from graph.tools.facts import arguments, order_facts, order_subject


class Attention(BaseModel):
    """What a specialist could not do, why, and the remedies it can carry out."""

    problem: str = Field(min_length=1, max_length=80, description="What went wrong, a_slug.")
    reason: str = Field(min_length=1, max_length=2000, description="What happened and why.")
    remedy: str = Field(description="The remedy to carry out: one of `remedies`.")
    remedies: dict[str, str] = Field(
        default_factory=dict, description="remedy -> what carrying it out does."
    )

    @model_validator(mode="after")
    def remedy_on_offer(self) -> Self:
        if self.remedies and self.remedy not in self.remedies:
            raise ValueError(f"remedy must be one of {sorted(self.remedies)}")
        return self


async def choose_remedy(env: ToolEnv, args: Attention) -> dict[str, Any]:
    """The decided remedy (the reviewer's choice reaches here through the gate)."""
    del env
    return args.model_dump(mode="json", exclude={"remedies"})


def attention_tool(
    *,
    name: str,
    description: str,
    args_schema: type[Attention],
    facts: Sequence[FactSource] | None = None,
) -> StructuredTool:
    """A tool that raises an attention item on every call and answers the chosen remedy."""
    return effect_tool(
        name=name,
        description=description,
        args_schema=args_schema,
        body=choose_remedy,
        facts=facts,
        attention=True,
    )


class Problem(Attention):
    """Any specialist's problem, about `subject` (and its order, when there is one)."""

    subject: str = Field(min_length=1, max_length=200, description="What it is about.")
    order_id: str | None = Field(default=None, description="The order concerned, if any.")
    details: dict[str, Any] = Field(
        default_factory=dict, description="What the remedy needs; a reviewer may edit it."
    )


raise_attention_tool = attention_tool(
    name="raise_attention",
    description=(
        "Raise an attention item when you cannot reach your goal (a refund refused, a "
        "publication blocked, a score not computed, something missing): say what happened "
        "and why, offer the remedies you can carry out and recommend one; answers the chosen "
        "remedy (or the reviewer's note), which you then carry out."
    ),
    args_schema=Problem,
    facts=(order_subject, arguments("amount", "content_id", "product_id")),
)


def attention_args(
    *,
    problem: str,
    subject: str,
    reason: str,
    remedies: Mapping[str, str],
    remedy: str,
    order_id: str | None = None,
    **details: Any,
) -> dict[str, Any]:
    """The arguments of a `raise_attention` call (`details` are what the remedies need)."""
    args: dict[str, Any] = {
        "problem": problem,
        "subject": subject,
        "reason": reason,
        "remedy": remedy,
        "remedies": dict(remedies),
        "details": details,
    }
    if order_id:
        args["order_id"] = order_id
    return args


def chosen(decided: Any) -> tuple[str | None, dict[str, Any]]:
    """The remedy a decided attention item chose and its details; (None, {}) when the
    reviewer responded or ignored it (the result is then their note or the refusal)."""
    if not isinstance(decided, dict):
        return None, {}
    details = decided.get("details")
    return str(decided.get("remedy")), dict(details) if isinstance(details, dict) else {}


def by_reviewer(result: Any) -> bool:
    """Whether a tool's refusal was a reviewer's decision (no second item for it)."""
    text = str(result)
    return "rejected by the reviewer" in text or text.startswith("Not done: the reviewer")


def left_as_is(decided: Any) -> str:
    """What a response or ignore means, in a summary."""
    text = str(decided)
    if text.startswith("Not done: "):
        return text.removeprefix("Not done: ")
    return "left as it is (the reviewer dismissed it)" if "rejected" in text else text


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


class OrderProblem(Attention):
    """An order that cannot go on as it is, why, and the remedy to take."""

    order_id: str = Field(min_length=1)
    problem: Literal["stock_short", "unknown_item"]
    remedy: Remedy = Field(description="The remedy to carry out; see `remedies`.")
    reorder: list[ReorderLine] = Field(default_factory=list, max_length=50)
    substitute_item_id: str | None = None
    message: str | None = Field(default=None, max_length=2000)
    remedies: dict[str, str] = Field(default_factory=lambda: dict(REMEDIES))


resolve_order_problem_tool = attention_tool(
    name="resolve_order_problem",
    description=(
        "Raise an attention item for an order that cannot go on (stock short, an item the "
        "store does not know): a reviewer picks the remedy; answers the chosen one."
    ),
    args_schema=OrderProblem,
    facts=(order_facts,),
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
