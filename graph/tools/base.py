"""Tool factories: typed arguments, the run's environment, and the ledger for side effects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from langchain_core.tools import StructuredTool
from langgraph.prebuilt import ToolRuntime
from psycopg import AsyncConnection
from psycopg.rows import DictRow
from pydantic import BaseModel

from connectors.ledger import LedgerKey, run_once
from graph.context import OpsContext
from runtime.database import Pool

ArgsT = TypeVar("ArgsT", bound=BaseModel)


@dataclass(frozen=True)
class ToolEnv:
    """Who is acting, in which run, and the connection to act on."""

    pool: Pool
    conn: AsyncConnection[DictRow]
    tenant_id: str
    thread_id: str
    tool_call_id: str

    @property
    def idempotency_key(self) -> str:
        return f"{self.thread_id}/{self.tool_call_id}"


ToolBody = Callable[[ToolEnv, ArgsT], Awaitable[Any]]


def run_identity(runtime: ToolRuntime) -> tuple[OpsContext, str, str, str]:
    """The context, tenant, thread and tool call id of a tool call inside a graph run."""
    context = runtime.context
    if not isinstance(context, OpsContext):
        raise RuntimeError("tools that reach a system of record need an OpsContext to run")
    state = runtime.state if isinstance(runtime.state, dict) else {}
    event = state.get("event") or {}
    tenant_id = str(event.get("tenant_id") or "default")
    thread_id = runtime.config.get("configurable", {}).get("thread_id")
    if not thread_id:
        # The ledger keys effects by thread: without one, two unrelated runs would share keys.
        raise RuntimeError("tools run inside a thread: pass configurable.thread_id")
    return context, tenant_id, str(thread_id), runtime.tool_call_id or ""


def reader_tool(
    *, name: str, description: str, args_schema: type[ArgsT], body: ToolBody[ArgsT]
) -> StructuredTool:
    """A tool that only reads: no ledger."""

    async def call(runtime: ToolRuntime, **kwargs: Any) -> Any:
        context, tenant_id, thread_id, call_id = run_identity(runtime)
        args = args_schema.model_validate(kwargs)
        async with context.pool.connection() as conn:
            env = ToolEnv(context.pool, conn, tenant_id, thread_id, call_id)
            return await body(env, args)

    return StructuredTool.from_function(
        coroutine=call, name=name, description=description, args_schema=args_schema
    )


def effect_tool(
    *, name: str, description: str, args_schema: type[ArgsT], body: ToolBody[ArgsT]
) -> StructuredTool:
    """A tool with side effects: runs at most once per (thread, tool call id)."""

    async def call(runtime: ToolRuntime, **kwargs: Any) -> Any:
        context, tenant_id, thread_id, call_id = run_identity(runtime)
        args = args_schema.model_validate(kwargs)
        key = LedgerKey(tenant_id, thread_id, call_id)

        async def act(conn: AsyncConnection[DictRow]) -> Any:
            return await body(ToolEnv(context.pool, conn, tenant_id, thread_id, call_id), args)

        return await run_once(
            context.pool,
            key,
            tool_name=name,
            args=args.model_dump(mode="json"),
            action=act,
        )

    return StructuredTool.from_function(
        coroutine=call, name=name, description=description, args_schema=args_schema
    )
