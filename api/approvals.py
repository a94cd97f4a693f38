"""Approvals for reviewers: list, read, decide (tenant-scoped; reviewer or admin keys)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, ValidationError

from api.auth import require_role
from api.deps import ResourcesDep
from api.errors import error_responses
from api.limits import JsonBody
from graph.tools.env import EFFECTS
from hitl.approvals import Approval, ApprovalStatus, get_approval, list_approvals
from hitl.decide import decide
from hitl.decisions import DecisionError, DecisionIn, Voter
from runtime.apikeys import ApiKey, Role

router = APIRouter(prefix="/approvals", tags=["approvals"])

ReviewerKey = Annotated[ApiKey, Depends(require_role(Role.REVIEWER))]


class ApprovalView(BaseModel):
    approval_id: str
    event_id: uuid.UUID | None
    status: ApprovalStatus
    tool_name: str
    proposed: dict[str, Any]
    args: dict[str, Any]
    facts: dict[str, Any]
    rules: list[dict[str, Any]]
    policy_version: str
    required_approvers: int
    description: str
    interrupt: dict[str, Any]
    decision: dict[str, Any] | None
    votes: list[dict[str, Any]]
    created_at: datetime
    warn_at: datetime
    deadline_at: datetime
    escalated_at: datetime | None
    decided_at: datetime | None
    age_s: float
    amount: float | None

    @classmethod
    def of(cls, approval: Approval) -> ApprovalView:
        facts = approval.facts
        amount = facts.get("amount", facts.get("order_total", facts.get("budget")))
        return cls(
            **approval.model_dump(exclude={"payload"}),
            interrupt=approval.payload,
            age_s=(datetime.now(UTC) - approval.created_at).total_seconds(),
            amount=float(amount) if amount is not None else None,
        )


def check_edit(action: str, args: Any) -> dict[str, Any]:
    """Edited arguments must satisfy the tool's own schema."""
    if action not in EFFECTS:
        raise ValueError(f"{action} cannot be edited")
    if not isinstance(args, dict):
        raise ValueError("edit needs the new arguments as a JSON object")
    schema, _ = EFFECTS[action]
    try:
        return schema.model_validate(args).model_dump(mode="json")
    except ValidationError as exc:
        raise ValueError(str(exc).replace("\n", "; ")) from exc


@router.get("", response_model=list[ApprovalView])
async def read_approvals(
    key: ReviewerKey,
    resources: ResourcesDep,
    status: Annotated[ApprovalStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ApprovalView]:
    """The tenant's approvals, newest first (`?status=pending` for the queue)."""
    found = await list_approvals(
        resources.pool, tenant_id=key.tenant_id, status=status, limit=limit
    )
    return [ApprovalView.of(approval) for approval in found]


@router.get("/{approval_id}", response_model=ApprovalView, responses=error_responses(404))
async def read_approval(
    approval_id: str, key: ReviewerKey, resources: ResourcesDep
) -> ApprovalView:
    """One approval: the context, the rule that fired, the proposed action."""
    async with resources.pool.connection() as conn:
        approval = await get_approval(conn, tenant_id=key.tenant_id, approval_id=approval_id)
    if approval is None:
        raise HTTPException(404, detail=f"no approval {approval_id}")
    return ApprovalView.of(approval)


@router.post(
    "/{approval_id}/decision",
    response_model=ApprovalView,
    responses=error_responses(404, 409, 410),
)
async def decide_approval(
    approval_id: str,
    key: ReviewerKey,
    body: Annotated[DecisionIn, Depends(JsonBody(DecisionIn))],
    resources: ResourcesDep,
    request: Request,
) -> ApprovalView:
    """accept | edit (`args`: the new arguments) | response (`args`: a message) | ignore."""
    voter = Voter(key.key_id, key.name, request.client.host if request.client else None)
    try:
        approval, _ = await decide(
            resources.pool,
            resources.queue,
            tenant_id=key.tenant_id,
            approval_id=approval_id,
            decision=body,
            voter=voter,
            check_edit=check_edit,
        )
    except DecisionError as exc:
        raise HTTPException(exc.status, detail=str(exc)) from exc
    except PoolTimeout as exc:
        raise HTTPException(
            503,
            detail="busy: the decision was not recorded, send it again",
            headers={"Retry-After": "2"},
        ) from exc
    return ApprovalView.of(approval)
