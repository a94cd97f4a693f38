"""Tool factories: typed arguments, the run's environment, and the ledger for side effects."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.tools import StructuredTool
from langgraph.prebuilt import ToolRuntime

from connectors.ledger import LedgerKey
from graph.context import OpsContext
from graph.facts import FactSource
from graph.gate import gate
from graph.tools.compensation import compensate
from graph.tools.env import ArgsT, ToolBody, ToolEnv, run_effect
from graph.tools.facts import DEFAULT_FACTS
from graph.tools.plain import PlainTool
from graph.toolset import EFFECT_KEY, Effect

__all__ = ["PlainTool", "ToolEnv", "effect_tool", "pure_tool", "reader_tool", "run_identity"]


def pure_tool(
    func: Callable[..., Any], *, name: str, description: str, args_schema: type[ArgsT]
) -> StructuredTool:
    """A tool that only computes from its arguments. It runs on the event loop: without a
    coroutine LangChain would hand each call to a thread pool, which costs more than the
    computation."""

    async def call(**kwargs: Any) -> Any:
        return func(**kwargs)

    return PlainTool.from_function(
        func=func, coroutine=call, name=name, description=description, args_schema=args_schema
    )


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
            env = ToolEnv(context.pool, conn, tenant_id, thread_id, call_id, context.secrets)
            return await body(env, args)

    return PlainTool.from_function(
        coroutine=call, name=name, description=description, args_schema=args_schema
    )


def effect_tool(
    *,
    name: str,
    description: str,
    args_schema: type[ArgsT],
    body: ToolBody[ArgsT],
    facts: Sequence[FactSource] | None = None,
    attention: bool = False,
) -> StructuredTool:
    """A tool with side effects: gated by the approval policy (in code, before anything
    happens), then run at most once per (thread, tool call id) through the ledger.

    `facts` are the sources of the facts the policy judges a call by (default: the order
    the call names, and its amount and subject ids); with `attention` every call asks a
    person. The tool carries its `Effect`; a `ToolRegistry` built from tools finds it.
    """
    effect = Effect(
        name=name,
        schema=args_schema,
        body=body,
        facts=tuple(DEFAULT_FACTS if facts is None else facts),
        attention=attention,
    )

    async def call(runtime: ToolRuntime, **kwargs: Any) -> Any:
        context, tenant_id, thread_id, call_id = run_identity(runtime)
        args = args_schema.model_validate(kwargs).model_dump(mode="json")
        action = name
        if context.gated:
            verdict = await gate(
                runtime,
                context,
                tenant_id=tenant_id,
                thread_id=thread_id,
                call_id=call_id,
                tool=name,
                args=args,
                effect=effect,
            )
            if verdict.refusal is not None:
                if verdict.rejected:
                    await compensate(
                        context,
                        tenant_id=tenant_id,
                        thread_id=thread_id,
                        call_id=call_id,
                        rejected=name,
                        args=args,
                        proposed=verdict.action,
                    )
                return verdict.refusal
            action, args = verdict.action, verdict.args
        key = LedgerKey(tenant_id, thread_id, call_id)
        chosen = effect if action == name else context.tools.effect(action)
        return await run_effect(context.pool, key, chosen, args, secrets=context.secrets)

    return PlainTool.from_function(
        coroutine=call,
        name=name,
        description=description,
        args_schema=args_schema,
        metadata={EFFECT_KEY: effect},
    )
