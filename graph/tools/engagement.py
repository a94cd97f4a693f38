"""CRM follow-up tools: touchpoints logged against a customer, tasks for a person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from connectors.engagement import create_task, log_touchpoint, order_customer
from graph.tools.base import ToolEnv, effect_tool


async def resolve_customer(env: ToolEnv, customer: str | None, order_id: str | None) -> str | None:
    if customer:
        return customer
    if order_id:
        return await order_customer(env.conn, tenant_id=env.tenant_id, order_id=order_id)
    return None


class Touchpoint(BaseModel):
    """Something the customer was told or did; the customer defaults to the order's."""

    kind: Literal["order_shipped", "order_cancelled", "subscription", "dispute"]
    subject: str = Field(min_length=1, max_length=200)
    customer: str | None = None
    order_id: str | None = None


async def touch(env: ToolEnv, args: Touchpoint) -> dict[str, Any] | str:
    customer = await resolve_customer(env, args.customer, args.order_id)
    if customer is None:
        return "Error: name the customer, or an order the store knows"
    return await log_touchpoint(
        env.conn,
        tenant_id=env.tenant_id,
        touchpoint_id=env.idempotency_key,
        customer=customer,
        kind=args.kind,
        subject=args.subject,
        ref=args.order_id,
    )


log_touchpoint_tool = effect_tool(
    name="log_touchpoint",
    description="Log a touchpoint on the customer's CRM record (order shipped, cancelled, ...).",
    args_schema=Touchpoint,
    body=touch,
)


class FollowUp(BaseModel):
    """A task for a person: who it concerns, why, and by when."""

    customer: str = Field(min_length=1)
    kind: Literal["retention", "win_back"]
    subject: str = Field(min_length=1, max_length=200)
    due_in_days: int = Field(default=2, ge=0, le=90)
    ref: str | None = None


async def follow_up(env: ToolEnv, args: FollowUp) -> dict[str, Any]:
    return await create_task(
        env.conn,
        tenant_id=env.tenant_id,
        task_id=env.idempotency_key,
        customer=args.customer,
        kind=args.kind,
        subject=args.subject,
        due_at=datetime.now(UTC) + timedelta(days=args.due_in_days),
        ref=args.ref,
    )


create_crm_task_tool = effect_tool(
    name="create_crm_task",
    description="Open a CRM task for a person: a retention call or a win-back, with a due date.",
    args_schema=FollowUp,
    body=follow_up,
)

ENGAGEMENT_TOOLS = (log_touchpoint_tool, create_crm_task_tool)
