"""Billing: a payment dispute freezes refunds on its order and gets its evidence drafted; the
draft goes to a reviewer, and a dispute naming no order goes to a person for the order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import (
    PlaybookStep,
    Specialist,
    call,
    is_error,
    last_result,
    results_of,
)
from graph.state import EventData
from graph.tools.attention import attention_args, chosen, left_as_is, raise_attention_tool
from graph.tools.disputes import draft_dispute_evidence_tool, freeze_refunds_tool

PROMPT = (
    "You handle payment disputes. Call freeze_refunds for the disputed order (every refund "
    "on it then needs a reviewer), then draft_dispute_evidence, which saves the evidence "
    "pack as a draft, then raise_attention (problem evidence_review) so a reviewer approves it "
    "for submission. A dispute naming no order: raise_attention (problem "
    "dispute_without_order) offering assemble_evidence (with details.order_id) and leave. "
    "Report what was frozen, drafted and decided."
)
NO_ORDER = {
    "assemble_evidence": "freeze refunds on `details.order_id` and draft the evidence (give "
    "the order id)",
    "leave": "do nothing more here; answer the dispute on the payment platform by hand",
}
REVIEW = {
    "submit": "the evidence is approved for submission to the payment platform",
    "revise": "keep it as a draft to revise by hand",
}


FIELDS = {
    "charge": "charge",
    "amount": "disputed_amount",
    "currency": "currency",
    "reason": "reason",
}
"""payload field -> freeze_refunds argument."""


def dispute_args(event: EventData) -> dict[str, Any]:
    payload = event["payload"]
    args: dict[str, Any] = {
        "order_id": str(payload.get("order_id") or ""),
        "dispute_id": str(payload.get("id") or event["entity"].split(":", 1)[-1]),
    }
    for field, argument in FIELDS.items():
        if payload.get(field) is not None:
            args[argument] = payload[field]
    return args


def order_or_step(
    args: dict[str, Any], results: Sequence[ToolMessage]
) -> tuple[str | None, PlaybookStep | None]:
    """The disputed order's id, else the step that asks a person for it (or says what
    they decided)."""
    if args["order_id"]:
        return str(args["order_id"]), None
    dispute = args["dispute_id"]
    asked = results_of(results, raise_attention_tool.name)  # the first: the evidence review follows
    decided = asked[0] if asked else None
    if decided is None:
        reason = (
            f"dispute {dispute} names no order (metadata order_id): refunds cannot be frozen "
            "nor its evidence assembled"
        )
        item = attention_args(
            problem="dispute_without_order",
            subject=f"dispute {dispute}",
            reason=reason,
            remedies=NO_ORDER,
            remedy="leave",
            order_id=None,
        )
        return None, [call(raise_attention_tool, **item)]
    remedy, details = chosen(decided)
    if remedy == "assemble_evidence" and details.get("order_id"):
        return str(details["order_id"]), None
    if remedy is None:
        return None, f"dispute {dispute} names no order; {left_as_is(decided)}"
    return None, f"dispute {dispute} names no order; a reviewer left it to be answered by hand"


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    args = dispute_args(event)
    order_id, step = order_or_step(args, results)
    if order_id is None:
        return step or f"dispute {args['dispute_id']} names no order"
    args["order_id"] = order_id
    frozen = last_result(results, freeze_refunds_tool.name)
    if frozen is None:
        return [call(freeze_refunds_tool, **args)]
    if is_error(frozen) or not isinstance(frozen, dict):
        return f"refunds on {order_id} not frozen: {frozen}"
    drafted = last_result(results, draft_dispute_evidence_tool.name)
    if drafted is None:
        return [call(draft_dispute_evidence_tool, dispute_id=args["dispute_id"], order_id=order_id)]
    if is_error(drafted) or not isinstance(drafted, dict):
        return f"refunds on {order_id} frozen; evidence not drafted: {drafted}"
    return reviewed(args["dispute_id"], order_id, drafted, results)


def after(results: Sequence[ToolMessage], tool_name: str) -> list[ToolMessage]:
    """The results that came after `tool_name`'s last one."""
    names = [message.name for message in results]
    last = len(names) - 1 - names[::-1].index(tool_name) if tool_name in names else -1
    return list(results[last + 1 :])


def reviewed(
    dispute: str, order_id: str, drafted: dict[str, Any], results: Sequence[ToolMessage]
) -> PlaybookStep:
    """The evidence draft goes to a reviewer; the summary says what they decided."""
    shown = drafted["evidence"]
    pack = (
        f"evidence for {dispute} drafted ({shown['fulfilment']['shipments']} shipments, "
        f"{len(shown['messages'])} messages)"
    )
    review = last_result(
        after(results, draft_dispute_evidence_tool.name), raise_attention_tool.name
    )
    if review is None:
        item = attention_args(
            problem="evidence_review",
            subject=f"dispute {dispute}",
            reason=f"refunds on {order_id} frozen; {pack}: review it before it is submitted",
            remedies=REVIEW,
            remedy="submit",
            order_id=order_id,
            evidence=shown,
        )
        return [call(raise_attention_tool, **item)]
    remedy, _ = chosen(review)
    if remedy == "submit":
        return f"refunds on {order_id} frozen; {pack}; approved for submission by a reviewer"
    if remedy == "revise":
        return f"refunds on {order_id} frozen; {pack}; a reviewer keeps it to revise"
    return f"refunds on {order_id} frozen; {pack}; {left_as_is(review)}"


SPECIALIST = Specialist(
    name="disputes",
    domain="billing",
    description="Freezes refunds on a disputed order and drafts the evidence for a reviewer.",
    prompt=PROMPT,
    tools=(freeze_refunds_tool, draft_dispute_evidence_tool, raise_attention_tool),
    playbook=playbook,
)
