"""The approval gate around side-effecting tool calls, enforced in code.

The facts a rule looks at are computed by the sources each tool declares next to itself (from
the call's arguments, the store and the event, never from model output); the gate only runs
them and evaluates the policy, so a model cannot talk its way past a rule. When rules
fire, an approvals row is written (idempotently: a re-run writes nothing new) and the run
pauses with `interrupt()`; the decision comes back as `interrupt()`'s value on resume.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from langgraph.prebuilt import ToolRuntime
from langgraph.types import interrupt

from graph.context import OpsContext
from graph.facts import FactQuery, Facts, UnknownFact, currency_of
from graph.toolset import Effect
from hitl.approvals import get_approval, raise_approval
from hitl.audit import append_audit
from hitl.interrupts import (
    FULL_CONFIG,
    ActionRequest,
    HumanInterrupt,
    HumanResponse,
    describe,
    describe_attention,
)
from hitl.policy import Policy, Requirement, parse_duration
from runtime.checkpoint import thread_is_new

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """How to go on after the gate: run `action` with `args`, or not (`refusal` says why)."""

    action: str
    args: dict[str, Any]
    refusal: str | None = None
    rejected: bool = False


async def facts_for(
    context: OpsContext,
    tenant_id: str,
    tool: str,
    args: dict[str, Any],
    state: dict[str, Any],
    *,
    effect: Effect | None = None,
) -> Facts:
    """The facts the policy judges `tool(args)` by: the event's currency, then what the
    tool's own declared sources establish (`effect`, else the registry's entry for `tool`).
    What cannot be established is named with its reason, so a rule that needs it fails
    closed; a tool nobody declared has no facts at all."""
    event = state.get("event") or {}
    payload = event.get("payload") or {}
    facts = Facts()
    try:
        facts.set("currency", currency_of(payload))
    except UnknownFact as error:
        facts.lack("currency", str(error))
    sources = effect.facts if effect is not None and effect.name == tool else None
    query = FactQuery(context.pool, tenant_id, tool, args, event)
    for source in context.tools.facts_of(tool) if sources is None else sources:
        await source(query, facts)
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
    effect: Effect | None = None,
) -> Verdict:
    """Let the call through, or pause for a decision and turn it into a verdict.

    Once an approval exists for this call, it is what counts: on resume the call is not
    judged again against facts or a policy that may have changed since the reviewer saw
    it (a rejected refund must not run because its order stopped being disputed). A tool
    declared `attention` always asks a person first (an attention item, not an approval).
    """
    approval_id = approval_id_for(thread_id, call_id, round_)
    raised = None
    if not thread_is_new(thread_id):  # a new thread has raised nothing yet
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
            effect=effect,
        )
    state = runtime.state if isinstance(runtime.state, dict) else {}
    found = await facts_for(context, tenant_id, tool, args, state, effect=effect)
    facts = found.values
    requirement = context.policy.evaluate(tool, facts)
    asks = approved is None and needs_attention(context, tool, effect)
    if not asks and (requirement is None or covered(requirement, approved)):
        return Verdict(tool, args)
    requirement = requirement or person_decides(context.policy)
    proposed: ActionRequest = (
        {"action": requirement.proposal.action, "args": requirement.proposal.render(facts)}
        if requirement.proposal
        else {"action": tool, "args": args}
    )
    rules = rule_entries(requirement, found)
    text = describe_attention if asks else describe
    payload: HumanInterrupt = {
        "action_request": proposed,
        "config": FULL_CONFIG,
        "description": text(
            tool=tool, args=args, proposed=proposed, facts=facts, rules=rules, context=found.lines
        ),
        "approval_id": approval_id,
        "kind": "attention" if asks else "approval",
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
        effect=effect,
    )


def needs_attention(context: OpsContext, tool: str, effect: Effect | None) -> bool:
    """Whether the tool is declared to ask a person on every call."""
    if effect is not None and effect.name == tool:
        return effect.attention
    return context.tools.is_effect(tool) and context.tools.effect(tool).attention


def person_decides(policy: Policy) -> Requirement:
    """An attention item no rule asked for: one reviewer, the policy's default deadline;
    at expiry it is dismissed (the run goes on without the remedy)."""
    deadline = parse_duration(policy.defaults.deadline)
    return Requirement(
        rules=(),
        approvers=1,
        deadline=deadline,
        warn_before=min(parse_duration(policy.defaults.warn_before), deadline),
        on_expiry="reject",
        proposal=None,
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
    kind = payload.get("kind", "approval")
    approval = {
        "tenant_id": tenant_id,
        "approval_id": payload["approval_id"],
        "kind": kind,
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
                action=f"{kind}.raised",
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
        logger.info("%s %s raised (%s)", kind, payload["approval_id"], requirement.rule_ids)
        notice: dict[str, Any] = {
            "approval_id": payload["approval_id"],
            "kind": kind,
            "tool": tool,
            "rules": requirement.rule_ids,
            "event_id": approval["event_id"],
        }
        if kind == "attention":
            notice["reason"] = str(args.get("reason") or "")
        await context.notify(f"{kind}.raised", notice)


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
    effect: Effect | None = None,
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
            effect=effect,
        )
    if kind == "response":
        note = str(response.get("args") or "")
        return Verdict(proposed["action"], {}, refusal=f"Not done: the reviewer said: {note}")
    return Verdict(proposed["action"], {}, refusal="Error: rejected by the reviewer", rejected=True)
