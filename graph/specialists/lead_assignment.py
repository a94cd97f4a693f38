"""CRM: give a new lead an owner (territory rules, else round-robin)."""

from __future__ import annotations

from typing import Any

from graph.specialists.lead_scoring import lead_id_of
from graph.specialists.one_call import one_call_specialist
from graph.state import EventData
from graph.tools.crm import assign_lead_tool

PROMPT = "You route new leads to sales owners. Call assign_lead, then say who owns the lead."


def assignment_args(event: EventData) -> dict[str, Any]:
    payload = event["payload"]
    return {
        "lead_id": lead_id_of(event),
        "email": str(payload.get("email", "")),
        "country": payload.get("country"),
    }


def report(_event: EventData, assigned: dict[str, Any]) -> str:
    return f"lead assigned to {assigned['owner']} ({assigned['rule']})"


SPECIALIST = one_call_specialist(
    name="lead_assignment",
    domain="crm",
    description="Assigns a lead's owner by territory, else round-robin by load.",
    prompt=PROMPT,
    tool=assign_lead_tool,
    arguments=assignment_args,
    report=report,
    failure="assignment failed",
)
