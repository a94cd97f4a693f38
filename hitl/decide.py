"""Taking a decision: validate, record the vote, audit it, and queue the run's resume."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import procrastinate

from hitl.approvals import Approval, ApprovalStatus, get_approval, save_votes
from hitl.audit import append_audit
from hitl.decisions import DecisionError, DecisionIn, Voter, cast_vote
from hitl.resume import queue_resume
from runtime.database import Pool

CONNECTION_TIMEOUT_S = 5.0

EditCheck = Callable[[str, Any], dict[str, Any]]
"""Validates edited arguments for a tool (raises ValueError) and returns them normalized."""


async def decide(
    pool: Pool,
    queue: procrastinate.App,
    *,
    tenant_id: str,
    approval_id: str,
    decision: DecisionIn,
    voter: Voter,
    check_edit: EditCheck,
) -> tuple[Approval, bool]:
    """Apply a reviewer's decision; return the approval as it now stands and whether this
    repeated a decision already taken (then nothing new happened)."""
    async with pool.connection(timeout=CONNECTION_TIMEOUT_S) as conn, conn.transaction():
        approval = await get_approval(conn, tenant_id=tenant_id, approval_id=approval_id, lock=True)
        if approval is None:
            raise DecisionError(404, f"no approval {approval_id}")
        if decision.type == "edit":
            try:
                decision = decision.model_copy(
                    update={"args": check_edit(approval.proposed["action"], decision.args)}
                )
            except ValueError as exc:
                raise DecisionError(422, f"edited arguments are invalid: {exc}") from exc
        outcome = cast_vote(approval, decision, voter)
        if outcome.repeated:
            return approval, True
        await save_votes(
            conn,
            tenant_id=tenant_id,
            approval_id=approval_id,
            votes=outcome.votes,
            decision=dict(outcome.decision or {}) or None,
            status=outcome.status,
        )
        details: dict[str, Any] = {
            "type": decision.type,
            "comment": decision.comment,
            "final": outcome.status is ApprovalStatus.DECIDED,
        }
        if decision.type == "edit":
            details |= {"before": approval.proposed["args"], "after": decision.args}
        await append_audit(
            conn,
            tenant_id=tenant_id,
            actor=f"{voter.name} ({voter.key_id})",
            action="approval.edited" if decision.type == "edit" else "approval.decided",
            subject=approval_id,
            details=details,
            address=voter.address,
        )
        if outcome.status is ApprovalStatus.DECIDED:
            await queue_resume(queue, conn, approval)
        updated = await get_approval(conn, tenant_id=tenant_id, approval_id=approval_id)
    if updated is None:
        raise DecisionError(404, f"no approval {approval_id}")
    return updated, False
