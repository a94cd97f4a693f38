"""CRM tools."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

FREE_MAIL_DOMAINS = frozenset({"gmail.com", "yahoo.com", "hotmail.com", "outlook.com"})
GRADES = ((80, "A"), (60, "B"), (40, "C"), (0, "D"))


class LeadInput(BaseModel):
    """What is known about a new lead."""

    email: str = Field(min_length=3)
    company: str | None = None
    employees: int | None = Field(default=None, ge=0)
    budget: float | None = Field(default=None, ge=0)
    source: str = "web_form"


def score_lead(**kwargs: Any) -> dict[str, Any]:
    """Score a lead 0-100 and grade it A-D, with the reasons behind the score."""
    lead = LeadInput(**kwargs)
    reasons: list[str] = []
    score = 10
    domain = lead.email.rsplit("@", 1)[-1].lower()
    if domain not in FREE_MAIL_DOMAINS:
        score += 20
        reasons.append(f"business email domain {domain}")
    if lead.company:
        score += 10
        reasons.append("company named")
    if lead.employees is not None and lead.employees >= 50:
        score += 20
        reasons.append(f"{lead.employees} employees")
    if lead.budget is not None and lead.budget >= 10_000:
        score += 25
        reasons.append(f"budget {lead.budget:,.0f}")
    if lead.source in {"referral", "demo_request"}:
        score += 15
        reasons.append(f"came from {lead.source}")
    score = min(score, 100)
    grade = next(letter for floor, letter in GRADES if score >= floor)
    return {"score": score, "grade": grade, "reasons": reasons}


score_lead_tool = StructuredTool.from_function(
    func=score_lead,
    name="score_lead",
    description=score_lead.__doc__ or "",
    args_schema=LeadInput,
)

CRM_TOOLS = (score_lead_tool,)
