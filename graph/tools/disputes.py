"""Dispute tools: freeze refunds on the disputed order, draft the evidence for a reviewer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from connectors.crm import customer_orders
from connectors.disputes import draft_evidence, freeze_refunds
from connectors.orders import get_order
from graph.tools.base import ToolEnv, effect_tool


class DisputeInput(BaseModel):
    """A dispute the payment platform opened against an order's charge."""

    order_id: str = Field(min_length=1)
    dispute_id: str = Field(min_length=1)
    charge: str | None = None
    disputed_amount: Decimal | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    reason: str | None = Field(default=None, max_length=200)


async def freeze(env: ToolEnv, args: DisputeInput) -> dict[str, Any] | str:
    return await freeze_refunds(
        env.conn,
        tenant_id=env.tenant_id,
        order_id=args.order_id,
        dispute_id=args.dispute_id,
        charge=args.charge,
        amount=args.disputed_amount,
        currency=args.currency.upper() if args.currency else None,
        reason=args.reason,
    )


freeze_refunds_tool = effect_tool(
    name="freeze_refunds",
    description=(
        "Mark the order disputed, so every refund on it needs a reviewer, and record the dispute."
    ),
    args_schema=DisputeInput,
    body=freeze,
)


class EvidenceInput(BaseModel):
    """The dispute to draft evidence for, and its order."""

    dispute_id: str = Field(min_length=1)
    order_id: str = Field(min_length=1)


async def evidence(env: ToolEnv, args: EvidenceInput) -> dict[str, Any] | str:
    order = await get_order(env.conn, tenant_id=env.tenant_id, order_id=args.order_id)
    totals = []
    if order is not None:
        totals = await customer_orders(
            env.conn,
            tenant_id=env.tenant_id,
            customer=str(order["user_id"]),
            exclude_order=args.order_id,
        )
    history = {"earlier_orders": len(totals), "earlier_spend": round(sum(totals), 2)}
    return await draft_evidence(
        env.conn,
        tenant_id=env.tenant_id,
        dispute_id=args.dispute_id,
        order_id=args.order_id,
        history=history,
    )


draft_dispute_evidence_tool = effect_tool(
    name="draft_dispute_evidence",
    description=(
        "Assemble the dispute's evidence from the store (order, fulfilment and tracking, "
        "the customer's history, the messages sent) and save it as a draft for a reviewer."
    ),
    args_schema=EvidenceInput,
    body=evidence,
)

DISPUTE_TOOLS = (freeze_refunds_tool, draft_dispute_evidence_tool)
