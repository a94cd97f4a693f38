"""CRM: score and grade a new lead, and record it."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, is_error, last_result
from graph.state import EventData
from graph.tools.crm import LeadInput, save_lead_score_tool, score_lead_tool

PROMPT = (
    "You qualify new leads. Call score_lead with the lead's details, record the result with "
    "save_lead_score, then report the grade."
)


def lead_id_of(event: EventData) -> str:
    return str(event["payload"].get("id") or event["entity"].split(":", 1)[-1])


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    payload = event["payload"]
    scored = last_result(results, score_lead_tool.name)
    if scored is None:
        fields = set(LeadInput.model_fields)
        return [call(score_lead_tool, **{k: v for k, v in payload.items() if k in fields})]
    if is_error(scored) or not isinstance(scored, dict):
        return f"lead scoring failed: {scored}"
    saved = last_result(results, save_lead_score_tool.name)
    if is_error(saved):
        return f"lead graded {scored['grade']} but not recorded: {saved}"
    if saved is None:
        return [
            call(
                save_lead_score_tool,
                lead_id=lead_id_of(event),
                email=str(payload.get("email", "")),
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
    tools=(score_lead_tool, save_lead_score_tool),
    playbook=playbook,
)
