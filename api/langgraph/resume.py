"""Reading a resume command: which pending interrupt each value answers, and, for an
approval's interrupt, the reviewer's decision it carries.

Accepted shapes: a mapping `{interrupt id: value}`; Agent Inbox's list of responses
(`[{"type": "accept" | "edit" | "response" | "ignore", "args": ...}]`, one per pending
interrupt, in order); LangChain's HITL `{"decisions": [{"type": "approve" | "edit" |
"reject", ...}]}`; or one bare value when exactly one interrupt is pending.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from hitl.decisions import DecisionIn

INTERRUPT_ID = re.compile(r"^[0-9a-f]{32}$")


class ResumeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def match_values(resume: Any, pending: Sequence[str]) -> dict[str, Any]:
    """Pair each value of `resume` with the id of the pending interrupt it answers."""
    if not pending:
        raise ResumeError(409, "nothing to resume: the thread has no pending interrupt")
    if isinstance(resume, dict) and resume and all(INTERRUPT_ID.match(str(k)) for k in resume):
        stale = sorted(set(resume) - set(pending))
        if stale:
            raise ResumeError(409, f"interrupt(s) {stale} are not pending (already resumed?)")
        return dict(resume)
    if isinstance(resume, dict) and isinstance(resume.get("decisions"), list):
        values: list[Any] = list(resume["decisions"])
    elif isinstance(resume, list):
        values = list(resume)
    else:
        values = [resume]
    if len(values) != len(pending):
        raise ResumeError(
            422,
            f"{len(values)} resume value(s) for {len(pending)} pending interrupt(s); send one "
            "per interrupt, in order, or a mapping {interrupt id: value}",
        )
    return dict(zip(pending, values, strict=True))


def decision_of(value: Any) -> DecisionIn:
    """An approval's decision from an Agent Inbox response or a LangChain HITL decision."""
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise ResumeError(422, "an approval's resume value needs a 'type' (accept, edit, ...)")
    kind, args = value["type"], value.get("args")
    comment = value.get("comment") if isinstance(value.get("comment"), str) else None
    if kind in ("accept", "approve"):
        return DecisionIn(type="accept", comment=comment)
    if kind == "edit":
        edited = value.get("edited_action") or args
        if isinstance(edited, dict) and isinstance(edited.get("args"), dict):
            edited = edited["args"]
        return DecisionIn(type="edit", args=edited, comment=comment)
    if kind == "response":
        return DecisionIn(type="response", args=args, comment=comment)
    if kind == "reject":
        message = value.get("message")
        if isinstance(message, str) and message:
            return DecisionIn(type="response", args=message, comment=comment)
        return DecisionIn(type="ignore", comment=comment)
    if kind == "ignore":
        return DecisionIn(type="ignore", comment=comment)
    raise ResumeError(422, f"unknown decision type {kind!r}: accept, edit, response or ignore")
