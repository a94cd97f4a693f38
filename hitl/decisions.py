"""Deciding an approval: who may decide, repeats, conflicts, expiry and four-eyes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from hitl.approvals import Approval, ApprovalStatus
from hitl.interrupts import HumanResponse, ResponseType


class DecisionIn(BaseModel):
    """A reviewer's decision: accept, edit (with the new arguments), response (text), ignore."""

    type: ResponseType
    args: Any = Field(default=None, description="edit: the arguments; response: the message.")
    comment: str | None = Field(default=None, max_length=2000)


class DecisionError(Exception):
    """The decision cannot be taken; `status` is the HTTP answer that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Voter:
    key_id: uuid.UUID
    name: str
    address: str | None = None


@dataclass(frozen=True)
class VoteOutcome:
    votes: list[dict[str, Any]]
    status: ApprovalStatus
    decision: HumanResponse | None
    repeated: bool


def response_of(decision: DecisionIn, approval: Approval) -> HumanResponse:
    """The value the paused run resumes with."""
    if decision.type == "edit":
        return {
            "type": "edit",
            "args": {"action": approval.proposed["action"], "args": dict(decision.args or {})},
        }
    if decision.type == "response":
        return {"type": "response", "args": str(decision.args or decision.comment or "")}
    return {"type": decision.type}


def same(vote: dict[str, Any], decision: DecisionIn) -> bool:
    return bool(vote["type"] == decision.type and vote.get("args") == decision.args)


def cast_vote(
    approval: Approval, decision: DecisionIn, voter: Voter, *, now: datetime | None = None
) -> VoteOutcome:
    """Apply one reviewer's decision to the approval, or raise DecisionError."""
    now = now or datetime.now(UTC)
    if approval.status is ApprovalStatus.EXPIRED or (
        approval.status is ApprovalStatus.PENDING and now >= approval.deadline_at
    ):
        raise DecisionError(410, "this approval expired; its default was applied")
    if approval.requested_by is not None and approval.requested_by == voter.key_id:
        raise DecisionError(403, "the key that requested this action cannot approve it")
    mine = [v for v in approval.votes if v["key_id"] == str(voter.key_id)]
    if approval.status is ApprovalStatus.DECIDED:
        if mine and same(mine[-1], decision):
            return VoteOutcome(approval.votes, approval.status, None, repeated=True)
        raise DecisionError(409, "this approval is already decided differently")
    if mine:
        if same(mine[-1], decision):
            return VoteOutcome(approval.votes, approval.status, None, repeated=True)
        raise DecisionError(
            409, "this key already decided differently; four-eyes needs a second, different key"
        )
    vote = {
        "key_id": str(voter.key_id),
        "key_name": voter.name,
        "type": decision.type,
        "args": decision.args,
        "comment": decision.comment,
        "address": voter.address,
        "at": now.isoformat(),
    }
    votes = [*approval.votes, vote]
    if decision.type in ("accept", "edit"):
        conflicting = [
            v for v in approval.votes if v["type"] in ("accept", "edit") and not same(v, decision)
        ]
        if conflicting:
            raise DecisionError(409, "another reviewer approved different arguments")
        agreeing = 1 + len(approval.votes)
        if agreeing < approval.required_approvers:
            return VoteOutcome(votes, ApprovalStatus.PENDING, None, repeated=False)
    return VoteOutcome(
        votes, ApprovalStatus.DECIDED, response_of(decision, approval), repeated=False
    )


def expiry_response(approval: Approval) -> HumanResponse:
    """What an expired approval resumes with: the policy's default (reject unless it says)."""
    return {"type": "accept"} if approval.on_expiry == "accept" else {"type": "ignore"}
