"""CRM: give a new lead an owner (territory rules, else round-robin)."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import ToolMessage

from graph.specialists.base import PlaybookStep, Specialist, call, last_result
from graph.specialists.lead_scoring import lead_id_of
from graph.state import EventData
from graph.tools.crm import assign_lead_tool

PROMPT = "You route new leads to sales owners. Call assign_lead, then say who owns the lead."


def playbook(event: EventData, results: Sequence[ToolMessage]) -> PlaybookStep:
    assigned = last_result(results, assign_lead_tool.name)
    if assigned is None:
        payload = event["payload"]
        return [
            call(
                assign_lead_tool,
                lead_id=lead_id_of(event),
                email=str(payload.get("email", "")),
                country=payload.get("country"),
            )
        ]
    if not isinstance(assigned, dict):
        return f"assignment failed: {assigned}"
    return f"lead assigned to {assigned['owner']} ({assigned['rule']})"


SPECIALIST = Specialist(
    name="lead_assignment",
    domain="crm",
    description="Assigns a lead's owner by territory, else round-robin by load.",
    prompt=PROMPT,
    tools=(assign_lead_tool,),
    playbook=playbook,
)
