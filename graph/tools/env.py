"""What a tool body runs with, and running a side effect once through the ledger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from pydantic import BaseModel

from connectors.commerce import CommerceBackend, backend_for
from connectors.ledger import LedgerKey, run_once
from graph.toolset import Effect
from runtime.database import Pool
from runtime.secretbox import SecretBox

ArgsT = TypeVar("ArgsT", bound=BaseModel)


@dataclass(frozen=True)
class ToolEnv:
    """Who is acting, in which run, and the connection to act on."""

    pool: Pool
    conn: AsyncConnection[DictRow]
    tenant_id: str
    thread_id: str
    tool_call_id: str
    secrets: SecretBox | None = None
    """Opens the tenant's Saleor app token; None in runs that cannot reach a Saleor shop."""

    @property
    def idempotency_key(self) -> str:
        return f"{self.thread_id}/{self.tool_call_id}"

    async def commerce(self) -> CommerceBackend:
        """The tenant's system of record: its Saleor shop if it has one, else the store."""
        return await backend_for(self.conn, self.tenant_id, secrets=self.secrets)


ToolBody = Callable[[ToolEnv, ArgsT], Awaitable[Any]]


async def run_effect(
    pool: Pool,
    key: LedgerKey,
    effect: Effect,
    args: dict[str, Any],
    *,
    also: Callable[[AsyncConnection[DictRow]], Awaitable[None]] | None = None,
    secrets: SecretBox | None = None,
) -> Any:
    """Run `effect(args)` once for `key` (validated against its schema); `also` runs in the
    same transaction, so it happens exactly when the effect does."""
    action, body = effect.name, effect.body
    parsed = effect.schema.model_validate(args)

    async def act(conn: AsyncConnection[DictRow]) -> Any:
        env = ToolEnv(pool, conn, key.tenant_id, key.thread_id, key.tool_call_id, secrets)
        result = await body(env, parsed)
        if also is not None:
            await also(conn)
        return result

    return await run_once(
        pool, key, tool_name=action, args=parsed.model_dump(mode="json"), action=act
    )
