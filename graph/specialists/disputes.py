"""Billing: a payment dispute freezes refunds on its order and gets its evidence drafted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.disputes import draft_dispute_evidence_tool, freeze_refunds_tool

PROMPT = (
    "You handle payment disputes. Call freeze_refunds for the disputed order (every refund "
    "on it then needs a reviewer), then draft_dispute_evidence, which saves the evidence "
    "pack as a draft for a reviewer. Report what was frozen and drafted."
)


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


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    args = dispute_args(event)
    if not args["order_id"]:
        return (
            f"dispute {args['dispute_id']} names no order (metadata order_id); "
            "refunds could not be frozen"
        )
    frozen = last_result(results, freeze_refunds_tool.name)
    if frozen is None:
        return [call(freeze_refunds_tool, **args)]
    if is_error(frozen) or not isinstance(frozen, dict):
        return f"refunds on {args['order_id']} not frozen: {frozen}"
    drafted = last_result(results, draft_dispute_evidence_tool.name)
    if drafted is None:
        return [
            call(
                draft_dispute_evidence_tool,
                dispute_id=args["dispute_id"],
                order_id=args["order_id"],
            )
        ]
    if is_error(drafted) or not isinstance(drafted, dict):
        return f"refunds on {args['order_id']} frozen; evidence not drafted: {drafted}"
    shown = drafted["evidence"]
    return (
        f"refunds on {args['order_id']} frozen; evidence for {args['dispute_id']} drafted "
        f"for review ({shown['fulfilment']['shipments']} shipments, "
        f"{len(shown['messages'])} messages)"
    )


SPECIALIST = Specialist(
    name="disputes",
    domain="billing",
    description="Freezes refunds on a disputed order and drafts the evidence for a reviewer.",
    prompt=PROMPT,
    tools=(freeze_refunds_tool, draft_dispute_evidence_tool),
    playbook=playbook,
)
