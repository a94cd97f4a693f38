"""CRM tools."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from connectors.crm import assign_owner, customer_orders, owner_loads, save_lead_score, save_profile
from connectors.outbox import enqueue_email
from graph.tools.base import ToolEnv, effect_tool, pure_tool, reader_tool

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


score_lead_tool = pure_tool(
    score_lead,
    name="score_lead",
    description=score_lead.__doc__ or "",
    args_schema=LeadInput,
)


class LeadScore(BaseModel):
    """A scored lead to record."""

    lead_id: str
    email: str
    company: str | None = None
    country: str | None = None
    score: int = Field(ge=0, le=100)
    grade: str = Field(pattern="^[ABCD]$")
    reasons: list[str] = Field(default_factory=list)


async def record_lead_score(env: ToolEnv, args: LeadScore) -> dict[str, Any]:
    return await save_lead_score(env.conn, tenant_id=env.tenant_id, lead=args.model_dump())


save_lead_score_tool = effect_tool(
    name="save_lead_score",
    description="Record a lead's score, grade and reasons in the CRM.",
    args_schema=LeadScore,
    body=record_lead_score,
)

TERRITORIES = {"US": "ava", "USA": "ava", "CA": "ava", "GB": "noah", "DE": "noah", "FR": "noah"}
ROUND_ROBIN = ("ava", "noah", "mia")


class LeadAssignment(BaseModel):
    """A lead to give an owner: by territory when its country has one, else the least loaded."""

    lead_id: str
    email: str
    country: str | None = None


async def assign(env: ToolEnv, args: LeadAssignment) -> dict[str, Any]:
    owner = TERRITORIES.get((args.country or "").upper())
    rule = "territory"
    if owner is None:
        loads = await owner_loads(env.conn, tenant_id=env.tenant_id, owners=list(ROUND_ROBIN))
        owner = min(ROUND_ROBIN, key=lambda name: (loads[name], ROUND_ROBIN.index(name)))
        rule = "round-robin"
    result = await assign_owner(
        env.conn, tenant_id=env.tenant_id, lead_id=args.lead_id, email=args.email, owner=owner
    )
    return {**result, "rule": rule}


assign_lead_tool = effect_tool(
    name="assign_lead",
    description="Give a lead an owner: territory rules by country, else round-robin by load.",
    args_schema=LeadAssignment,
    body=assign,
)


class CustomerValueInput(BaseModel):
    """A customer, by store user id or email address."""

    customer: str = Field(min_length=1)


VIP_VALUE = 2_000.0
LOYAL_VALUE = 500.0


def segment_for(value: float, orders: int) -> str:
    """vip and loyal by lifetime value; otherwise returning or new by order count."""
    if value >= VIP_VALUE:
        return "vip"
    if value >= LOYAL_VALUE:
        return "loyal"
    return "returning" if orders > 1 else "new"


async def customer_value(env: ToolEnv, args: CustomerValueInput) -> dict[str, Any]:
    totals = await customer_orders(env.conn, tenant_id=env.tenant_id, customer=args.customer)
    value = round(sum(totals), 2)
    return {
        "customer": args.customer,
        "lifetime_value": value,
        "order_count": len(totals),
        "segment": segment_for(value, len(totals)),
    }


get_customer_value_tool = reader_tool(
    name="get_customer_value",
    description="A customer's lifetime value, order count and the segment they fall in.",
    args_schema=CustomerValueInput,
    body=customer_value,
)


class Welcome(BaseModel):
    """A customer profile to store, and whether to send the welcome message."""

    customer: str
    email: str | None = None
    segment: str
    lifetime_value: float = Field(ge=0)
    order_count: int = Field(ge=0)
    send_welcome: bool = False


async def onboard(env: ToolEnv, args: Welcome) -> dict[str, Any]:
    welcomed = bool(args.send_welcome and args.email)
    if welcomed and args.email:
        await enqueue_email(
            env.conn,
            tenant_id=env.tenant_id,
            idempotency_key=env.idempotency_key,
            recipient=args.email,
            subject="Welcome!",
            body=f"Welcome aboard! As a {args.segment} customer you get our best service.",
        )
    profile = await save_profile(
        env.conn,
        tenant_id=env.tenant_id,
        customer=args.customer,
        segment=args.segment,
        value=args.lifetime_value,
        orders=args.order_count,
        welcomed=welcomed,
    )
    return {**profile, "welcome_sent": welcomed}


update_customer_profile_tool = effect_tool(
    name="update_customer_profile",
    description="Store a customer's segment and value; optionally email the welcome message.",
    args_schema=Welcome,
    body=onboard,
)

CRM_TOOLS = (
    score_lead_tool,
    save_lead_score_tool,
    assign_lead_tool,
    get_customer_value_tool,
    update_customer_profile_tool,
)
