"""Running one case on a fresh tenant: deliver, run, decide as scripted, resume, observe."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from evals.dataset import Case
from evals.harness import Harness, IntakeAnswer
from evals.kb import copy_kb
from evals.observe import Observation, calls_of, read_approvals, read_end_state, read_event
from evals.tenants import create_case_tenant
from evals.usage import counting_usage
from graph.routing import REGISTRY
from hitl.approvals import ApprovalStatus, list_approvals
from hitl.decide import decide
from hitl.decisions import DecisionError, DecisionIn, Voter
from rag.embedders import make_embedder
from rag.samples import ingest_sample_kb
from runtime.events import CanonicalEvent, EventStatus, insert_event

RELATIVE_TIME = re.compile(r"^now(?:([+-])(\d+)s)?$")
MAX_RESUMES = 8
"""A script that keeps deciding while the run keeps pausing is cut off here."""


def resolve_time(value: str | None) -> datetime | None:
    """`now`, `now-3600s`, `now+5s` or an ISO time; relative times keep datasets fresh."""
    if value is None:
        return None
    match = RELATIVE_TIME.match(value)
    if match is None:
        return datetime.fromisoformat(value)
    sign, seconds = match.group(1), int(match.group(2) or 0)
    delta = timedelta(seconds=seconds)
    return datetime.now(UTC) + (delta if sign == "+" else -delta)


async def store_canonical(harness: Harness, tenant_id: str, event: Mapping[str, Any]) -> uuid.UUID:
    """As `POST /events` does (the event validated the same way), without a queue job: the
    engine runs the event itself, right after storing it."""
    canonical = CanonicalEvent.model_validate(
        {**event, "occurred_at": resolve_time(event.get("occurred_at"))}
    )
    event_id = uuid.uuid4()
    async with harness.resources.pool.connection() as conn:
        await insert_event(
            conn,
            tenant_id=tenant_id,
            source="api",
            event=canonical,
            event_id=event_id,
            status=EventStatus.QUEUED,
        )
    return event_id


class Reviewers:
    """The scripted decisions of a case, applied to the approvals as they come up."""

    def __init__(self, harness: Harness, tenant_id: str, scripts: list[Mapping[str, Any]]):
        self.harness = harness
        self.tenant_id = tenant_id
        self.scripts = list(scripts)
        self.used: set[int] = set()
        self.voters = [Voter(key_id=uuid.uuid4(), name=f"eval reviewer {n}") for n in range(3)]

    def script_for(self, tool: str, rules: list[str]) -> Mapping[str, Any] | None:
        for index, script in enumerate(self.scripts):
            if index in self.used:
                continue
            if script.get("tool") not in (None, tool):
                continue
            if script.get("rule") is not None and script["rule"] not in rules:
                continue
            self.used.add(index)
            return script
        return None

    async def decide_pending(self) -> int:
        """Decide every pending approval a script matches; how many were decided."""
        pool, decided = self.harness.resources.pool, 0
        pending = await list_approvals(
            pool, tenant_id=self.tenant_id, status=ApprovalStatus.PENDING, limit=100
        )
        for approval in sorted(pending, key=lambda a: (a.created_at, a.approval_id)):
            rules = [str(rule.get("id")) for rule in approval.rules]
            script = self.script_for(approval.tool_name, rules)
            if script is None:
                continue
            decision = DecisionIn(
                type=script["type"], args=script.get("args"), comment=script.get("comment")
            )
            reviewers = max(int(script.get("reviewers") or 1), approval.required_approvers)
            for voter in self.voters[:reviewers]:
                try:
                    await decide(
                        pool,
                        self.harness.resources.queue,
                        tenant_id=self.tenant_id,
                        approval_id=approval.approval_id,
                        decision=decision,
                        voter=voter,
                        check_edit=self.harness.tools.check_edit,
                    )
                except DecisionError as exc:
                    raise RuntimeError(f"scripted decision refused: {exc}") from exc
            decided += 1
        return decided


async def deliver(harness: Harness, tenant_id: str, delivery: Mapping[str, Any]) -> IntakeAnswer:
    if "event" in delivery:
        if not REGISTRY.accepts(str(delivery["event"]["type"])):
            return IntakeAnswer(422, None)  # as POST /events answers an unknown type
        return IntakeAnswer(202, await store_canonical(harness, tenant_id, delivery["event"]))
    if harness.webhooks is None:
        raise RuntimeError("this run has no webhook intake wired in")
    return await harness.webhooks.deliver(tenant_id=tenant_id, webhook=delivery["webhook"])


async def drive(
    harness: Harness, reviewers: Reviewers, tenant_id: str, event_id: uuid.UUID
) -> None:
    """Run the event; while it waits for approvals the script decides, decide and resume."""
    status = await harness.events.run(tenant_id=tenant_id, event_id=event_id)
    resumes = 0
    while status is EventStatus.AWAITING_APPROVAL and resumes < MAX_RESUMES:
        if not await reviewers.decide_pending():
            return
        resumes += 1
        status = await harness.events.resume(tenant_id=tenant_id, event_id=event_id)


async def run_event_case(harness: Harness, case: Case, tenant_id: str) -> Observation:
    observed = Observation()
    reviewers = Reviewers(harness, tenant_id, list(case.data.get("decisions") or []))
    deliveries = list(case.data["deliveries"])
    primary = int(case.data.get("primary", len(deliveries) - 1))
    primary_id: uuid.UUID | None = None
    pool = harness.resources.pool
    for index, delivery in enumerate(deliveries):
        answer = await deliver(harness, tenant_id, delivery)
        fresh = answer.event_id is not None and not answer.duplicate
        if fresh and answer.http_status == 202 and delivery.get("run", True):
            assert answer.event_id is not None
            try:
                await drive(harness, reviewers, tenant_id, answer.event_id)
            except Exception as exc:  # the event row records the failure; observe it
                observed.error = f"{type(exc).__name__}: {exc}"
                observed.error_kind = "run_failed"
        row = await read_event(pool, tenant_id, answer.event_id) if answer.event_id else None
        observed.deliveries.append(
            {
                "http_status": answer.http_status,
                "duplicate": answer.duplicate,
                "status": row["status"] if row else None,
            }
        )
        if index == primary:
            primary_id = answer.event_id
    if primary_id is not None:
        row = await read_event(pool, tenant_id, primary_id)
        if row is not None:
            observed.status = row["status"]
            observed.domains = list(row["domains"] or [])
            observed.specialists, observed.tool_calls = calls_of(list(row["timeline"] or []))
            observed.reply = row["summary"] or ""
            if row["error"] and observed.error is None:
                observed.error, observed.error_kind = row["error"], "run_failed"
    return observed


async def run_chat_case(harness: Harness, case: Case, tenant_id: str) -> Observation:
    if harness.chat is None:
        raise NotImplementedError("chat cases need a chat driver; none is wired in")
    reviewers = Reviewers(harness, tenant_id, list(case.data.get("decisions") or []))
    turns = await harness.chat.converse(
        tenant_id=tenant_id, script=case.data["chat"], decide=reviewers.decide_pending
    )
    observed = Observation()
    for turn in turns:
        observed.domains += [d for d in turn.domains if d not in observed.domains]
        observed.specialists += [s for s in turn.specialists if s not in observed.specialists]
        observed.tool_calls += turn.tool_calls
    observed.intent = turns[-1].intent if turns else None
    observed.reply = turns[-1].reply if turns else ""
    observed.turns = [
        {"reply": turn.reply, "intent": turn.intent, "citations": turn.citations} for turn in turns
    ]
    return observed


async def tenant_chunks(pool: Any, tenant_id: str) -> list[int]:
    """The ids of the tenant's knowledge-base chunks (a citation must name one of them)."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT chunk_id FROM kb_chunks WHERE tenant_id = %s", (tenant_id,)
        )
        return [int(row["chunk_id"]) for row in await cursor.fetchall()]


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, NotImplementedError):
        return "unsupported"
    if isinstance(exc, TimeoutError):
        return "timeout"
    name = type(exc).__name__
    return "model_error" if "openai" in type(exc).__module__ else name


async def run_case(harness: Harness, case: Case, tenant_id: str, *, template: str) -> Observation:
    """The case on a tenant of its own (a copy of `template`'s store); an exception becomes
    the observation's error."""
    started = time.perf_counter()
    with counting_usage() as usage:
        try:
            await create_case_tenant(harness.resources.pool, tenant_id, template=template)
            if (case.data.get("setup") or {}).get("knowledge_base") == "sample":
                await ingest_sample_kb(
                    harness.resources.pool, tenant_id, embedder=make_embedder(harness.embedder)
                )
            if case.kind == "chat":
                await copy_kb(harness.resources.pool, tenant_id, template=template)
            runner = run_event_case if case.kind == "event" else run_chat_case
            observed = await runner(harness, case, tenant_id)
            observed.approvals = await read_approvals(harness.resources.pool, tenant_id)
            wanted = case.expect.get("end_state") or {}
            if wanted:
                observed.end_state |= await read_end_state(
                    harness.resources.pool, tenant_id, wanted
                )
            observed.chunks = await tenant_chunks(harness.resources.pool, tenant_id)
        except Exception as exc:
            observed = Observation(error=f"{type(exc).__name__}: {exc}", error_kind=error_kind(exc))
    observed.model_calls, observed.tokens = usage.calls, usage.tokens
    observed.latency_s = time.perf_counter() - started
    return observed
