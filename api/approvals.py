"""Approvals for reviewers: list, read, decide (tenant-scoped; reviewer or admin keys)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, Field

from api.auth import require_role
from api.deps import ResourcesDep
from api.errors import error_responses
from api.limits import JsonBody
from graph.toolset import ToolRegistry
from hitl.approvals import Approval, ApprovalKind, ApprovalStatus, get_approval, list_approvals
from hitl.decide import decide
from hitl.decisions import DecisionError, DecisionIn, Voter
from runtime.apikeys import ApiKey, Role

router = APIRouter(prefix="/approvals", tags=["approvals"])

ReviewerKey = Annotated[ApiKey, Depends(require_role(Role.REVIEWER))]


class ApprovalView(BaseModel):
    approval_id: str
    kind: ApprovalKind = Field(
        description=(
            "approval: a policy rule stopped a call; attention: a specialist could not reach "
            "its goal and proposes a remedy (decided the same way)."
        )
    )
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


def tools_of(request: Request) -> ToolRegistry:
    """The tool registry the app was built with (an empty one refuses every edit)."""
    found = getattr(request.app.state, "tools", None)
    return found if isinstance(found, ToolRegistry) else ToolRegistry()


ToolsDep = Annotated[ToolRegistry, Depends(tools_of)]


@router.get("", response_model=list[ApprovalView])
async def read_approvals(
    key: ReviewerKey,
    resources: ResourcesDep,
    status: Annotated[ApprovalStatus | None, Query()] = None,
    kind: Annotated[ApprovalKind | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ApprovalView]:
    """The tenant's approvals and attention items, newest first (`?status=pending` for the
    queue, `?kind=attention` for attention items only)."""
    found = await list_approvals(
        resources.pool, tenant_id=key.tenant_id, status=status, kind=kind, limit=limit
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
    tools: ToolsDep,
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
            check_edit=tools.check_edit,
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
