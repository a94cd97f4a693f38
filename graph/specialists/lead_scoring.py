"""CRM: score and grade a new lead."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, last_result
from graph.state import EventData
from graph.tools.crm import LeadInput, score_lead_tool

PROMPT = "You qualify new leads. Call score_lead with the lead's details, then report the grade."


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    scored = last_result(results, score_lead_tool.name)
    if scored is None:
        fields = set(LeadInput.model_fields)
        args = {key: value for key, value in event["payload"].items() if key in fields}
        return [{"name": score_lead_tool.name, "args": args}]
    if not isinstance(scored, dict):
        return f"lead scoring failed: {scored}"
    return f"lead graded {scored['grade']} (score {scored['score']})"


SPECIALIST = Specialist(
    name="lead_scoring",
    domain="crm",
    description="Scores and grades a new lead with reasons.",
    prompt=PROMPT,
    tools=(score_lead_tool,),
    playbook=playbook,
)
