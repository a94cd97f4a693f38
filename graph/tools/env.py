"""What a tool body runs with, and running a side effect once through the ledger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from pydantic import BaseModel

from connectors.ledger import LedgerKey, run_once
from graph.toolset import Effect
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


async def run_effect(
    pool: Pool,
    key: LedgerKey,
    effect: Effect,
    args: dict[str, Any],
    *,
    also: Callable[[AsyncConnection[DictRow]], Awaitable[None]] | None = None,
) -> Any:
    """Run `effect(args)` once for `key` (validated against its schema); `also` runs in the
    same transaction, so it happens exactly when the effect does."""
    action, body = effect.name, effect.body
    parsed = effect.schema.model_validate(args)

    async def act(conn: AsyncConnection[DictRow]) -> Any:
        env = ToolEnv(pool, conn, key.tenant_id, key.thread_id, key.tool_call_id)
        result = await body(env, parsed)
        if also is not None:
            await also(conn)
        return result

    return await run_once(
        pool, key, tool_name=action, args=parsed.model_dump(mode="json"), action=act
    )
