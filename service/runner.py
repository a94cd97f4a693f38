"""Runs one inbox event through the master graph and records where it got to."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from dataclasses import replace
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from connectors.ingest import mirrored_kind, upsert_from_event
from connectors.ledger import LedgerKey, run_once
from graph.context import Notifier, OpsContext, no_notice
from graph.kb_searches import KbSearchTimer
from graph.master import build_master_graph
from graph.model_calls import TENANT_KEY, ModelCallRecorder
from graph.models import OFFLINE, Planner, build_planner, model_name
from graph.state import EventData
from graph.tools.registry import build_tool_registry
from graph.toolset import ToolRegistry
from graph.tracing import NodeSpans
from hitl.approvals import attach_interrupt, mark_applied, ready_to_resume
from hitl.policy import load_policy
from hitl.resume import queue_event_resume
from runtime.checkpoint import new_thread
from runtime.events import (
    EventStatus,
    StoredEvent,
    mark_resuming,
    mark_running,
    mark_stale,
    record_outcome,
)
from runtime.resources import Resources
from runtime.secretbox import SecretBox
from runtime.tracing import tracing_installed

logger = logging.getLogger(__name__)

MasterGraph = CompiledStateGraph[Any, Any, Any, Any]

Durability = Literal["sync", "exit"]


def durability_for(model: str) -> Durability:
    """How often a run's checkpoints are written.

    With a model, every step's checkpoint is written before the next step starts: the
    model's tool call ids exist only in the checkpoint of the step that planned them, and if
    a crash lost them the model would plan again with new ids the ledger could not
    recognize. Offline playbooks plan the same ids every time, so a run that crashes can
    start over from its input (the ledger returns what already happened), and writing once
    when the run stops or pauses is enough.
    """
    return "exit" if model == OFFLINE else "sync"


def service_planner(resources: Resources) -> Planner:
    """The configured planner; a model's every call is recorded in `model_calls`."""
    settings = resources.settings
    recorder = ModelCallRecorder(resources.pool, model=model_name(settings.model))
    return build_planner(
        settings.model,
        timeout_s=settings.model_timeout_s,
        max_retries=settings.model_max_retries,
        callbacks=[recorder],
    )


def compile_master_graph(resources: Resources) -> MasterGraph:
    """The hierarchy for the configured planner, checkpointed in Postgres (with a span per
    node when tracing is on)."""
    graph = build_master_graph(planner=service_planner(resources)).compile(
        checkpointer=resources.checkpointer, store=resources.store
    )
    return graph.with_config(callbacks=[NodeSpans()]) if tracing_installed() else graph


def thread_config(event_id: uuid.UUID, run: int = 1, *, tenant_id: str = "") -> RunnableConfig:
    """Each event has its own thread; a forced replay (run 2, 3, ...) starts a fresh one.
    The tenant rides in the metadata, where callbacks (model-call records) read it."""
    thread = f"event:{event_id}" if run == 1 else f"event:{event_id}:run{run}"
    config: RunnableConfig = {"configurable": {"thread_id": thread}}
    if tenant_id:
        config["metadata"] = {TENANT_KEY: tenant_id}
    return config


def event_data(event: StoredEvent) -> EventData:
    if event.type is None or event.entity is None:
        raise ValueError(f"event {event.event_id} has no canonical type; it cannot run")
    return {
        "event_id": str(event.event_id),
        "tenant_id": event.tenant_id,
        "source": event.source,
        "type": event.type,
        "entity": event.entity,
        "payload": event.payload,
    }


def waiting_entry(interrupt: dict[str, Any]) -> dict[str, Any]:
    """A timeline entry for a specialist paused at an approval."""
    proposed = interrupt["action_request"]
    return {
        "domain": interrupt.get("domain", "?"),
        "specialist": interrupt.get("specialist", "?"),
        "tool_calls": [
            {
                "id": interrupt["approval_id"],
                "name": proposed["action"],
                "args": proposed["args"],
                "result": None,
                "status": "awaiting_approval",
            }
        ],
        "summary": f"waiting for approval {interrupt['approval_id']}",
    }


class EventRunner:
    """What a worker needs to run events: the compiled graph, the pool and the run context."""

    def __init__(
        self,
        resources: Resources,
        graph: MasterGraph,
        *,
        notify: Notifier = no_notice,
        tools: ToolRegistry | None = None,
    ) -> None:
        self.resources = resources
        self.graph = graph
        self.notify = notify
        self.durability = durability_for(resources.settings.model)
        self.context = OpsContext(
            pool=resources.pool,
            policy=load_policy(resources.settings.policy_file),
            notify=notify,
            tools=tools if tools is not None else build_tool_registry(),
            secrets=SecretBox.from_settings(resources.settings),
            time_tool=KbSearchTimer(resources.pool),
        )

    async def run(
        self, *, tenant_id: str, event_id: uuid.UUID, final_attempt: bool = True
    ) -> EventStatus | None:
        """Run (or resume after a crash) the event's thread; None when already finished."""
        pool = self.resources.pool
        async with (
            self._exclusive(tenant_id, event_id),
            self._recording_failure(tenant_id, event_id, final_attempt),
        ):
            claimed = await mark_running(pool, tenant_id=tenant_id, event_id=event_id)
            if claimed is None:
                logger.info("event %s already finished; nothing to do", event_id)
                return None
            event, newer = claimed.event, claimed.newer
            if newer is not None:
                await mark_stale(pool, event, newer=newer)
                logger.info("event %s is stale: %s processed a later state", event_id, newer)
                return EventStatus.STALE
            config = thread_config(event_id, event.run, tenant_id=event.tenant_id)
            values = await self._invoke(event, config)
            return await self._finish(event, config, values)

    async def resume(
        self, *, tenant_id: str, event_id: uuid.UUID, final_attempt: bool = True
    ) -> EventStatus | None:
        """Continue a paused event with the decisions taken on its approvals."""
        pool = self.resources.pool
        async with (
            self._exclusive(tenant_id, event_id),
            self._recording_failure(
                tenant_id, event_id, final_attempt, retry_status=EventStatus.AWAITING_APPROVAL
            ),
        ):
            event = await mark_resuming(pool, tenant_id=tenant_id, event_id=event_id)
            if event is None:
                logger.info("event %s is not waiting for approval; nothing to resume", event_id)
                return None
            config = thread_config(event_id, event.run, tenant_id=event.tenant_id)
            snapshot = await self.graph.aget_state(config)
            pending = {item.id for item in snapshot.interrupts}
            async with pool.connection() as conn:
                ready = await ready_to_resume(conn, tenant_id=tenant_id, event_id=event_id)
            usable = [a for a in ready if a.interrupt_id in pending]
            decisions = {a.interrupt_id: a.decision for a in usable}
            values = dict(
                await self.graph.ainvoke(
                    Command(resume=decisions) if decisions else None,
                    config,
                    context=self.context_for(event),
                    durability=self.durability,
                )
            )
            async with pool.connection() as conn:
                await mark_applied(
                    conn, tenant_id=tenant_id, approval_ids=[a.approval_id for a in usable]
                )
            return await self._finish(event, config, values)

    @asynccontextmanager
    async def _exclusive(self, tenant_id: str, event_id: uuid.UUID) -> AsyncIterator[None]:
        """One run of an event at a time, whatever the queue does: a job re-queued from a
        worker that looked dead but was only slow waits here for the first run to end."""
        key = f"run/{tenant_id}/{event_id}"
        async with self.resources.pool.connection() as conn:
            await conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 1))", (key,))
            try:
                yield
            finally:
                await conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 1))", (key,))

    async def _resume_if_decided(
        self, conn: AsyncConnection[DictRow], event: StoredEvent, pending: set[str]
    ) -> None:
        """Decisions taken while the event could not resume (it was failed or running)
        would otherwise wait forever: queue their resume now."""
        ready = await ready_to_resume(conn, tenant_id=event.tenant_id, event_id=event.event_id)
        if any(a.interrupt_id in pending for a in ready):
            await queue_event_resume(
                self.resources.queue,
                conn,
                tenant_id=event.tenant_id,
                event_id=event.event_id,
                entity=event.entity,
            )

    def context_for(self, event: StoredEvent) -> OpsContext:
        """The run context, with who sent the event (they may not approve its actions)."""
        return replace(self.context, requested_by=event.requested_by)

    @asynccontextmanager
    async def _recording_failure(
        self,
        tenant_id: str,
        event_id: uuid.UUID,
        final_attempt: bool,
        *,
        retry_status: EventStatus = EventStatus.QUEUED,
    ) -> AsyncIterator[None]:
        """Record a failed attempt: `failed` after the last one (and tell a person, as a
        finished run does), else the status the retry picks the event up from (`queued` for a
        run, `awaiting_approval` for a resume).

        It covers claiming the event too, and needs only its ids: a row that cannot even be
        read back (a value the driver refuses) still ends `failed`, never `running`."""
        try:
            yield
        except Exception as exc:
            if not await self._claimed(tenant_id, event_id):
                raise  # it failed before the claim, or after the outcome was recorded
            status = EventStatus.FAILED if final_attempt else retry_status
            await record_outcome(
                self.resources.pool,
                tenant_id=tenant_id,
                event_id=event_id,
                status=status,
                domains=[],
                timeline=[],
                error=f"{type(exc).__name__}: {exc}",
            )
            if final_attempt:
                await self._notify_finished(
                    event_id,
                    EventStatus.FAILED,
                    f"failed after its last attempt ({type(exc).__name__}); "
                    "replay it once the cause is fixed",
                )
            raise

    async def _claimed(self, tenant_id: str, event_id: uuid.UUID) -> bool:
        """Whether the event is `running` (this run holds it: see `_exclusive`). Only the
        status is read, so a row whose other values cannot be loaded still answers."""
        async with self.resources.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT status = 'running' AS claimed FROM events"
                " WHERE tenant_id = %s AND event_id = %s",
                (tenant_id, event_id),
            )
            row = await cursor.fetchone()
        return bool(row and row["claimed"])

    async def _finish(
        self, event: StoredEvent, config: RunnableConfig, values: dict[str, Any]
    ) -> EventStatus:
        """Record where the run got to; a pause links its interrupts to their approvals.

        A run that reached `finalize` (only it writes the summary) has nothing pending, so
        its checkpoint is read back only for a run that stopped before."""
        finished = values.get("summary") is not None
        snapshot = None if finished else await self.graph.aget_state(config)
        interrupts = snapshot.interrupts if snapshot is not None else ()
        stored = snapshot.values if snapshot is not None else {}
        waiting: list[dict[str, Any]] = []
        if interrupts:
            status = EventStatus.AWAITING_APPROVAL
            async with self.resources.pool.connection() as conn:
                for item in interrupts:
                    approval_id = (item.value or {}).get("approval_id")
                    if approval_id:
                        await attach_interrupt(
                            conn,
                            tenant_id=event.tenant_id,
                            approval_id=approval_id,
                            interrupt_id=item.id,
                        )
                        waiting.append(waiting_entry(item.value))
                await self._resume_if_decided(conn, event, {i.id for i in interrupts})
        elif not values.get("domains"):
            status = EventStatus.SKIPPED
        else:
            status = EventStatus.DONE
        await record_outcome(
            self.resources.pool,
            tenant_id=event.tenant_id,
            event_id=event.event_id,
            status=status,
            domains=list(values.get("domains") or stored.get("domains") or []),
            timeline=[
                *(values.get("outcomes") or stored.get("outcomes") or []),
                *waiting,
            ],
            summary=values.get("summary"),
        )
        logger.info("event %s %s: %s", event.event_id, status.value, values.get("summary", ""))
        if status is not EventStatus.AWAITING_APPROVAL:
            await self._notify_finished(event.event_id, status, values.get("summary"))
        return status

    async def _notify_finished(
        self, event_id: uuid.UUID, status: EventStatus, summary: str | None
    ) -> None:
        """Tell whoever subscribed that the event ended, and how."""
        await self.notify(
            "event.finished",
            {"event_id": str(event_id), "status": status.value, "summary": summary},
        )

    async def _invoke(self, event: StoredEvent, config: RunnableConfig) -> dict[str, Any]:
        """Start the thread, resume it after a crash, or read it when it already finished."""
        if event.attempts == 1:  # a first run: there is no earlier state to look at
            return await self._start(event, config, first_run=event.run == 1)
        snapshot = await self.graph.aget_state(config)
        if snapshot.next:
            result = await self.graph.ainvoke(
                None, config, context=self.context_for(event), durability=self.durability
            )
        elif snapshot.values.get("summary") is not None:
            return dict(snapshot.values)
        else:
            return await self._start(event, config)
        return dict(result)

    async def _start(
        self, event: StoredEvent, config: RunnableConfig, *, first_run: bool = False
    ) -> dict[str, Any]:
        """Run the thread from its input. On the first run of a fresh thread whose state is
        written only when the run stops (`exit` durability), nothing it could read back
        exists yet, so its reads are skipped (`new_thread`)."""
        await self._mirror_into_store(event, config)
        thread_id = str(config["configurable"]["thread_id"])
        fresh = first_run and self.durability == "exit"
        with new_thread(thread_id) if fresh else nullcontext():
            result = await self.graph.ainvoke(
                {"event": event_data(event)},
                config,
                context=self.context_for(event),
                durability=self.durability,
            )
        return dict(result)

    async def _mirror_into_store(self, event: StoredEvent, config: RunnableConfig) -> None:
        """Once per thread (through the ledger): a re-run after a crash, or a replay of a
        failed event, does not write the event's data over what happened since. An event
        that updates no store record skips it (and its ledger transaction)."""
        if event.type is None or mirrored_kind(event.type, event.payload) is None:
            return
        event_type, thread_id = event.type, str(config["configurable"]["thread_id"])

        async def mirror(conn: AsyncConnection[DictRow]) -> bool:
            return await upsert_from_event(
                conn, tenant_id=event.tenant_id, event_type=event_type, payload=event.payload
            )

        await run_once(
            self.resources.pool,
            LedgerKey(event.tenant_id, thread_id, "mirror"),
            tool_name="mirror_into_store",
            args={},
            action=mirror,
        )
