"""Chat runs on the workers: claim a run, stream the chat graph into `run_events`, settle.

The API only records a run and defers its job (`runtime.threads`); this is where the graph
runs, so API processes and workers scale separately. A resume run applies the decisions
taken on the thread's approvals (by any reviewer surface) plus any plain resume values the
client sent, each exactly once: an approval is marked applied when its decision is used.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

import procrastinate
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command
from opentelemetry import trace
from procrastinate import JobContext

from graph.chat.graph import build_chat_graph, chat_registry
from graph.context import Notifier, OpsContext, no_notice
from graph.kb_searches import KbSearchTimer
from graph.model_calls import TENANT_KEY
from graph.tracing import NodeSpans
from hitl.approvals import attach_interrupt, mark_applied
from hitl.policy import load_policy
from runtime.logging import log_context
from runtime.queue import EVENTS_QUEUE
from runtime.resources import Resources
from runtime.run_events import append_events, dumps, to_json
from runtime.secretbox import SecretBox
from runtime.threads import RUN_THREAD, RunRow, RunStatus, cancel_requested, claim_run, close_run
from runtime.tracing import job_span, tracing_installed
from service.runner import durability_for, service_planner

logger = logging.getLogger(__name__)
TRACER = trace.get_tracer(__name__)

CHAT_RUNNER_KEY = "chat_runner"
CANCEL_CHECK_S = 0.25
GRAPH_MODES = {
    "values": "values",
    "updates": "updates",
    "messages-tuple": "messages",
    "messages": "messages",
    "custom": "custom",
}
"""The API's stream modes and the graph's: `messages-tuple` is `(message, metadata)`."""

ChatGraph = CompiledStateGraph[Any, Any, Any, Any]


def compile_chat_graph(resources: Resources) -> ChatGraph:
    """The chat graph for the configured planner, checkpointed in Postgres (with a span per
    node when tracing is on)."""
    graph = build_chat_graph(planner=service_planner(resources)).compile(
        checkpointer=resources.checkpointer, store=resources.store
    )
    return graph.with_config(callbacks=[NodeSpans()]) if tracing_installed() else graph


@dataclass
class StreamCursor:
    """The run's next event number, kept where a failure midway still finds it (the error
    event must follow the parts already streamed, not overwrite one)."""

    seq: int


class ChatRunner:
    """What a worker needs for chat runs; the graph is compiled on the first run."""

    def __init__(
        self, resources: Resources, *, notify: Notifier = no_notice, graph: ChatGraph | None = None
    ) -> None:
        self.resources = resources
        self._graph = graph
        self.durability = durability_for(resources.settings.model)
        self.context = OpsContext(
            pool=resources.pool,
            policy=load_policy(resources.settings.policy_file),
            notify=notify,
            tools=chat_registry(),
            secrets=SecretBox.from_settings(resources.settings),
            time_tool=KbSearchTimer(resources.pool),
        )

    @property
    def graph(self) -> ChatGraph:
        if self._graph is None:
            self._graph = compile_chat_graph(self.resources)
        return self._graph

    async def execute(self, *, run_id: uuid.UUID) -> RunStatus | None:
        """Run one run to its end; None when it was cancelled before it started."""
        pool = self.resources.pool
        async with pool.connection() as conn:
            claimed = await claim_run(conn, run_id)
        if claimed is None:
            return None
        run, first_seq = claimed
        cursor = StreamCursor(first_seq)
        config: RunnableConfig = {
            "configurable": {"thread_id": run.thread_id, "tenant_id": run.tenant_id},
            "metadata": {TENANT_KEY: run.tenant_id},
        }
        status, error, output, interrupted = RunStatus.SUCCESS, None, None, False
        try:
            payload, applied = await self._payload(run, config)
            final: Any = None
            if payload is not None:
                stopped, final = await self._stream(run, payload, config, cursor)
                if stopped:
                    status = RunStatus.INTERRUPTED
            if status is RunStatus.SUCCESS and isinstance(final, dict):
                values = dict(final)
                interrupts = list(values.pop("__interrupt__", ()))
            else:  # cancelled midway, or nothing to resume: read where the thread stands
                snapshot = await self.graph.aget_state(config)
                values, interrupts = dict(snapshot.values or {}), list(snapshot.interrupts)
            interrupted = bool(interrupts)
            output = to_json(values)
            if interrupts:
                output["__interrupt__"] = [
                    {"value": to_json(i.value), "id": i.id} for i in interrupts
                ]
            if interrupts or applied:
                await self._attach(run, interrupts, applied)
        except Exception as exc:  # the run failed, not the job: say so in the stream
            logger.warning("run %s failed: %s", run_id, type(exc).__name__, exc_info=True)
            status, error = RunStatus.ERROR, f"{type(exc).__name__}: {exc}"
        last = (cursor.seq, "end", "null")
        if error is not None:
            name, _, message = error.partition(": ")
            last = (cursor.seq, "error", dumps({"error": name, "message": message}))
        async with pool.connection() as conn:
            await close_run(
                conn,
                run,
                status=status,
                output=output,
                error=error,
                interrupted=interrupted,
                last_event=last,
            )
        return status

    async def _payload(self, run: RunRow, config: RunnableConfig) -> tuple[Any, list[str]]:
        """New input, or the resume map {interrupt id: value} and the approvals it uses."""
        if run.kind == "input":
            return run.input, []
        snapshot = await self.graph.aget_state(config)
        pending = [i.id for i in snapshot.interrupts]
        gated = {
            str(i.value["approval_id"]): i.id
            for i in snapshot.interrupts
            if isinstance(i.value, dict) and i.value.get("approval_id")
        }
        async with self.resources.pool.connection() as conn:
            cursor = await conn.execute(
                """
                SELECT approval_id, decision FROM approvals
                 WHERE tenant_id = %s AND approval_id = ANY(%s) AND status <> 'pending'
                   AND NOT applied AND decision IS NOT NULL
                 ORDER BY decided_at
                """,
                (run.tenant_id, list(gated)),
            )
            decided = await cursor.fetchall()
        values: dict[str, Any] = {
            key: value for key, value in (run.resume or {}).items() if key in pending
        }
        values |= {gated[row["approval_id"]]: row["decision"] for row in decided}
        if not values:
            return None, []
        return Command(resume=values), [row["approval_id"] for row in decided]

    async def _stream(
        self, run: RunRow, payload: Any, config: RunnableConfig, cursor: StreamCursor
    ) -> tuple[bool, Any]:
        """Stream the graph into the run's events (advancing `cursor`): whether a cancel
        stopped it, and the last values (the thread's state when the run ended)."""
        wanted = {GRAPH_MODES[mode] for mode in run.stream_mode if mode in GRAPH_MODES}
        modes = sorted(wanted | {"values"})
        context = replace(self.context, requested_by=run.requested_by)
        pool = self.resources.pool
        checked = time.monotonic()
        final: Any = None
        async for namespace, mode, chunk in self.graph.astream(
            payload,
            config,
            context=context,
            stream_mode=modes,  # type: ignore[arg-type]
            subgraphs=True,
            durability=self.durability,
        ):
            if mode == "values" and not namespace:
                final = chunk
            if namespace and not run.stream_subgraphs:
                continue
            if mode in wanted:
                name = "|".join([mode, *namespace])
                data = list(chunk) if mode == "messages" else chunk
                cursor.seq = await append_events(
                    pool, run.run_id, cursor.seq, [(name, dumps(data))]
                )
            if time.monotonic() - checked > CANCEL_CHECK_S:
                checked = time.monotonic()
                async with pool.connection() as conn:
                    if await cancel_requested(conn, run.run_id):
                        return True, None
        return False, final

    async def _attach(self, run: RunRow, interrupts: list[Any], applied: list[str]) -> None:
        """Link the pause's interrupts to their approvals; mark used decisions applied."""
        async with self.resources.pool.connection() as conn, conn.transaction():
            for item in interrupts:
                approval_id = (item.value or {}).get("approval_id")
                if approval_id:
                    await attach_interrupt(
                        conn, tenant_id=run.tenant_id, approval_id=approval_id, interrupt_id=item.id
                    )
            if applied:
                await mark_applied(conn, tenant_id=run.tenant_id, approval_ids=applied)


def register_chat_tasks(queue: procrastinate.App) -> None:
    """`run_thread`: one chat run. Not retried: a failed run ends `error` with the reason,
    and the thread takes the next run."""

    @queue.task(name=RUN_THREAD, queue=EVENTS_QUEUE, pass_context=True)
    async def run_thread(
        context: JobContext,
        *,
        tenant_id: str,
        run_id: str,
        trace_context: dict[str, str] | None = None,
    ) -> None:
        runner: ChatRunner = context.additional_context[CHAT_RUNNER_KEY]
        with (
            log_context(run_id=run_id, tenant=tenant_id),
            job_span(
                TRACER,
                RUN_THREAD,
                carrier=trace_context,
                job_id=context.job.id,
                attributes={"opsgraph.run_id": run_id, "opsgraph.tenant": tenant_id},
            ),
        ):
            await runner.execute(run_id=uuid.UUID(run_id))
