"""CRM: score and grade a new lead, and record it; a lead that cannot be scored goes to a
person."""

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
from graph.tools.crm import LeadInput, save_lead_score_tool, score_lead_tool

PROMPT = (
    "You qualify new leads. Call score_lead with the lead's details, record the result with "
    "save_lead_score, then report the grade. If it cannot be scored, call raise_attention "
    "(problem score_not_computed) with the lead's details, offering rescore (with the "
    "reviewer's corrected details) and leave_ungraded; carry out the choice."
)
REMEDIES = {
    "rescore": "score the lead again from `details` (correct them first)",
    "leave_ungraded": "leave the lead ungraded",
}


def lead_id_of(event: EventData) -> str:
    return str(event["payload"].get("id") or event["entity"].split(":", 1)[-1])


def lead_fields(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k in LeadInput.model_fields}


def scored_or_step(
    event: EventData, results: Sequence[ToolMessage]
) -> dict[str, Any] | PlaybookStep:
    """The lead's score, or the next step towards one (an attention item, a rescore)."""
    lead = lead_fields(event["payload"])
    tries = results_of(results, score_lead_tool.name)
    if not tries:
        return [call(score_lead_tool, **lead)]
    latest = tries[-1]
    if isinstance(latest, dict) and not is_error(latest):
        return latest
    decided = last_result(results, raise_attention_tool.name)
    if decided is None:
        why = " ".join(str(latest).removeprefix("Error: ").split())[:300]
        return [
            call(
                raise_attention_tool,
                **attention_args(
                    problem="score_not_computed",
                    subject=f"lead {lead_id_of(event)}",
                    reason=f"lead {lead_id_of(event)} could not be scored: {why}",
                    remedies=REMEDIES,
                    remedy="leave_ungraded",
                    **lead,
                ),
            )
        ]
    remedy, details = chosen(decided)
    if remedy is None:
        return f"lead scoring failed: {tries[0]}; {left_as_is(decided)}"
    if remedy == "rescore" and len(tries) < 2:
        return [call(score_lead_tool, **lead_fields(details))]
    if remedy == "rescore":
        return f"lead scoring failed, even with the reviewer's details: {latest}"
    return "lead not graded: it could not be scored and a reviewer left it ungraded"


def lead_email(payload: dict[str, Any], results: Sequence[ToolMessage]) -> Any:
    """The email a reviewer corrected for a rescore, else the lead's own."""
    remedy, details = chosen(last_result(results, raise_attention_tool.name))
    return (
        details.get("email")
        if remedy == "rescore" and details.get("email")
        else (payload.get("email", ""))
    )


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    payload = event["payload"]
    scored = scored_or_step(event, results)
    if not isinstance(scored, dict):
        return scored
    saved = last_result(results, save_lead_score_tool.name)
    if is_error(saved):
        return f"lead graded {scored['grade']} but not recorded: {saved}"
    if saved is None:
        return [
            call(
                save_lead_score_tool,
                lead_id=lead_id_of(event),
                email=str(lead_email(payload, results)),
                company=payload.get("company"),
                country=payload.get("country"),
                score=scored["score"],
                grade=scored["grade"],
                reasons=scored["reasons"],
            )
        ]
    return f"lead graded {scored['grade']} (score {scored['score']})"


SPECIALIST = Specialist(
    name="lead_scoring",
    domain="crm",
    description="Scores and grades a new lead with reasons, and records it.",
    prompt=PROMPT,
    tools=(score_lead_tool, save_lead_score_tool, raise_attention_tool),
    playbook=playbook,
)
