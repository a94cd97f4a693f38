"""The approval gate around side-effecting tool calls, enforced in code.

The facts a rule looks at are computed here from the call's arguments, the store and the
event, never taken from model output; a model cannot talk its way past a rule. When rules
fire, an approvals row is written (idempotently: a re-run writes nothing new) and the run
pauses with `interrupt()`; the decision comes back as `interrupt()`'s value on resume.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from langgraph.prebuilt import ToolRuntime
from langgraph.types import interrupt

from connectors.orders import get_order, order_total
from graph.context import OpsContext
from graph.facts import UnknownFact, claimed_amount, currency_of
from hitl.approvals import get_approval, raise_approval
from hitl.audit import append_audit
from hitl.interrupts import FULL_CONFIG, ActionRequest, HumanInterrupt, HumanResponse, describe
from hitl.policy import Requirement

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """How to go on after the gate: run `action` with `args`, or not (`refusal` says why)."""

    action: str
    args: dict[str, Any]
    refusal: str | None = None
    rejected: bool = False


@dataclass
class Facts:
    """What the policy judges a call by: the facts established, the ones that could not be
    (fact -> why, for the reviewer), and context lines for the reviewer."""

    values: dict[str, Any] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def set(self, name: str, value: Any) -> None:
        self.values[name] = value
        self.unknown.pop(name, None)

    def lack(self, name: str, why: str) -> None:
        self.values.pop(name, None)
        self.unknown[name] = why


def fraud_score_of(prior: list[dict[str, Any]], order_id: str) -> tuple[dict[str, Any] | None, str]:
    """The fraud review's score of `order_id` from an earlier stage, or why there is none.

    Only a successful `score_order_risk` result for this very order counts (the tool reads
    its inputs from the store and the event; a planner only chose which order to score).
    """
    reviews = [outcome for outcome in prior if outcome["specialist"] == "fraud_review"]
    if not reviews:
        return None, "no fraud review ran before this call"
    calls = [c for o in reviews for c in o["tool_calls"] if c["name"] == "score_order_risk"]
    for call in reversed(calls):
        result = call["result"]
        if (
            call["status"] == "success"
            and isinstance(result, dict)
            and str(result.get("order_id")) == order_id
            and isinstance(result.get("score"), int)
        ):
            return result, ""
    failed = [c for c in calls if c["status"] != "success"]
    if failed:
        return None, f"score_order_risk failed: {str(failed[-1]['result'])[:300]}"
    if calls:
        return None, f"the fraud review scored another order, not {order_id}"
    return None, "the fraud review did not score this order"


def own_total(payload: dict[str, Any], order_id: str) -> float:
    """The event's own total, when the call is about the event's own order (else 0)."""
    if str(payload.get("order_id") or "") != order_id:
        return 0.0
    return claimed_amount(payload, "total") or 0.0


async def facts_for(
    context: OpsContext, tenant_id: str, tool: str, args: dict[str, Any], state: dict[str, Any]
) -> Facts:
    """The facts the policy judges `tool(args)` by; what cannot be established is named
    with its reason, so a rule that needs it fails closed."""
    event = state.get("event") or {}
    payload = event.get("payload") or {}
    facts = Facts()
    try:
        facts.set("currency", currency_of(payload))
    except UnknownFact as error:
        facts.lack("currency", str(error))
    order_id = str(args.get("order_id") or "")
    if order_id:
        facts.set("order_id", order_id)
        async with context.pool.connection() as conn:
            order = await get_order(conn, tenant_id=tenant_id, order_id=order_id)
        if order is None:
            for name in ("order_total", "disputed"):
                facts.lack(name, f"order {order_id} is not in the store")
        else:
            facts.set("disputed", bool(order.get("disputed")))
            try:
                total = max(order_total(order), own_total(payload, order_id))
                facts.set("order_total", round(total, 2))
            except UnknownFact as error:
                facts.lack("order_total", str(error))
            items = ", ".join(f"{i['name']} ({i['price']:.2f})" for i in order["items"][:8])
            facts.lines.append(f"order {order_id} ({order['status']}): {items or 'no items'}")
            facts.lines.append(f"customer: {payload.get('email') or order['user_id']}")
        risk, why = fraud_score_of(event.get("prior", []), order_id)
        if risk is None:
            facts.lack("fraud_score", why)
        else:
            facts.set("fraud_score", risk["score"])
            reasons = "; ".join(r["reason"] for r in risk["reasons"]) or "no risk signals"
            facts.lines.append(f"fraud score {risk['score']}/100: {reasons}")
    else:
        facts.lack("fraud_score", "the call names no order")
    if tool == "create_fulfillment":
        if "order_total" in facts.values:
            facts.set("amount", facts.values["order_total"])
        else:
            facts.lack("amount", facts.unknown.get("order_total", "the call names no order"))
    if "amount" in args:
        facts.set("amount", float(args["amount"]))
    if "quantity" in args and "unit_cost" in args:
        facts.set("budget", round(float(args["quantity"]) * float(args["unit_cost"]), 2))
    for key in ("content_id", "product_id"):
        if key in args:
            facts.set(key, args[key])
    return facts


def rule_entries(requirement: Requirement, facts: Facts) -> list[dict[str, Any]]:
    """The rules for the approval row; a rule that could not be judged names what it lacked."""
    entries: list[dict[str, Any]] = []
    for rule in requirement.rules:
        entry: dict[str, Any] = {"id": rule.id, "description": rule.description}
        lacking = requirement.missing.get(rule.id)
        if lacking:
            entry["missing"] = [
                {"fact": name, "why": facts.unknown.get(name, "not established")}
                for name in lacking
            ]
        entries.append(entry)
    return entries


async def gate(
    runtime: ToolRuntime,
    context: OpsContext,
    *,
    tenant_id: str,
    thread_id: str,
    call_id: str,
    tool: str,
    args: dict[str, Any],
    round_: int = 0,
    approved: Approved | None = None,
) -> Verdict:
    """Let the call through, or pause for a decision and turn it into a verdict.

    Once an approval exists for this call, it is what counts: on resume the call is not
    judged again against facts or a policy that may have changed since the reviewer saw
    it (a rejected refund must not run because its order stopped being disputed).
    """
    approval_id = approval_id_for(thread_id, call_id, round_)
    async with context.pool.connection() as conn:
        raised = await get_approval(conn, tenant_id=tenant_id, approval_id=approval_id)
    if raised is not None:
        response: HumanResponse = interrupt(raised.payload)
        return await follow(
            runtime,
            context,
            response,
            ActionRequest(**raised.proposed),  # type: ignore[typeddict-item]
            tenant_id=tenant_id,
            thread_id=thread_id,
            call_id=call_id,
            round_=round_,
            approved=Approved([r["id"] for r in raised.rules], raised.required_approvers),
        )
    state = runtime.state if isinstance(runtime.state, dict) else {}
    found = await facts_for(context, tenant_id, tool, args, state)
    facts = found.values
    requirement = context.policy.evaluate(tool, facts)
    if requirement is None or covered(requirement, approved):
        return Verdict(tool, args)
    proposed: ActionRequest = (
        {"action": requirement.proposal.action, "args": requirement.proposal.render(facts)}
        if requirement.proposal
        else {"action": tool, "args": args}
    )
    rules = rule_entries(requirement, found)
    payload: HumanInterrupt = {
        "action_request": proposed,
        "config": FULL_CONFIG,
        "description": describe(
            tool=tool, args=args, proposed=proposed, facts=facts, rules=rules, context=found.lines
        ),
        "approval_id": approval_id,
    }
    location = where(runtime)
    if location:
        payload["domain"], payload["specialist"] = location["domain"], location["specialist"]
    await record(
        context,
        state,
        tenant_id=tenant_id,
        thread_id=thread_id,
        call_id=call_id,
        tool=tool,
        args=args,
        proposed=proposed,
        facts=facts,
        rules=rules,
        requirement=requirement,
        payload=payload,
    )
    response = interrupt(payload)
    return await follow(
        runtime,
        context,
        response,
        proposed,
        tenant_id=tenant_id,
        thread_id=thread_id,
        call_id=call_id,
        round_=round_,
        approved=Approved(requirement.rule_ids, requirement.approvers),
    )


def where(runtime: ToolRuntime) -> dict[str, str]:
    """The domain and specialist a tool call runs in, from its checkpoint namespace
    (`<domain>:<task>|<specialist>:<task>|...`)."""
    namespace = str(runtime.config.get("configurable", {}).get("checkpoint_ns", ""))
    names = [part.split(":", 1)[0] for part in namespace.split("|") if part]
    return {"domain": names[0], "specialist": names[1]} if len(names) >= 2 else {}


def approval_id_for(thread_id: str, call_id: str, round_: int) -> str:
    """A short id, the same on every re-run of the call (so the row is written once)."""
    digest = hashlib.sha256(f"{thread_id}/{call_id}/{round_}".encode()).hexdigest()
    return f"apr_{digest[:20]}"


@dataclass(frozen=True)
class Approved:
    """What a decided approval covered: the rules and how many approvers."""

    rule_ids: list[str]
    approvers: int


def covered(requirement: Requirement, approved: Approved | None) -> bool:
    """An edit needs no new approval when what it requires was already approved."""
    return approved is not None and (
        set(requirement.rule_ids) <= set(approved.rule_ids)
        and requirement.approvers <= approved.approvers
    )


async def record(
    context: OpsContext,
    state: dict[str, Any],
    *,
    tenant_id: str,
    thread_id: str,
    call_id: str,
    tool: str,
    args: dict[str, Any],
    proposed: ActionRequest,
    facts: dict[str, Any],
    rules: list[dict[str, Any]],
    requirement: Requirement,
    payload: HumanInterrupt,
) -> None:
    """The approvals row and its audit entry, once per approval id (re-runs write nothing)."""
    event = state.get("event") or {}
    approval = {
        "tenant_id": tenant_id,
        "approval_id": payload["approval_id"],
        "event_id": event.get("event_id") or None,
        "thread_id": thread_id,
        "tool_call_id": call_id,
        "tool_name": tool,
        "args": args,
        "proposed": dict(proposed),
        "facts": facts,
        "rules": rules,
        "policy_version": context.policy.version,
        "required_approvers": requirement.approvers,
        "description": payload["description"],
        "payload": dict(payload),
        "requested_by": context.requested_by,
        "on_expiry": requirement.on_expiry,
        "warn_after": requirement.deadline - requirement.warn_before,
        "deadline": requirement.deadline,
    }
    async with context.pool.connection() as conn, conn.transaction():
        created = await raise_approval(conn, approval)
        if created:
            await append_audit(
                conn,
                tenant_id=tenant_id,
                actor="policy",
                action="approval.raised",
                subject=payload["approval_id"],
                details={
                    "tool": tool,
                    "proposed": dict(proposed),
                    "rules": rules,
                    "policy_version": context.policy.version,
                    "facts": facts,
                },
            )
    if created:
        logger.info("approval %s raised (%s)", payload["approval_id"], requirement.rule_ids)
        await context.notify(
            "approval.raised",
            {
                "approval_id": payload["approval_id"],
                "tool": tool,
                "rules": requirement.rule_ids,
                "event_id": approval["event_id"],
            },
        )


async def follow(
    runtime: ToolRuntime,
    context: OpsContext,
    response: HumanResponse,
    proposed: ActionRequest,
    *,
    tenant_id: str,
    thread_id: str,
    call_id: str,
    round_: int,
    approved: Approved,
) -> Verdict:
    kind = response.get("type")
    if kind == "accept":
        return Verdict(proposed["action"], dict(proposed["args"]))
    if kind == "edit":
        edited = response.get("args") or {}
        action = str(edited.get("action") or proposed["action"])
        args = dict(edited.get("args") or {})
        # The policy judges the edited call again; what it adds needs its own approval.
        return await gate(
            runtime,
            context,
            tenant_id=tenant_id,
            thread_id=thread_id,
            call_id=call_id,
            tool=action,
            args=args,
            round_=round_ + 1,
            approved=approved,
        )
    if kind == "response":
        note = str(response.get("args") or "")
        return Verdict(proposed["action"], {}, refusal=f"Not done: the reviewer said: {note}")
    return Verdict(proposed["action"], {}, refusal="Error: rejected by the reviewer", rejected=True)
