"""Effectively-once side effects: each tool call's result is recorded with its effect.

A side-effecting tool runs inside one transaction that also writes its ledger row, keyed
by (tenant, thread, tool call id). A repeat of the same call — a node re-run after an
interrupt, a worker restarted mid-event — finds the row and returns the recorded result
without acting again. Outbound calls made inside carry `idempotency_key` so the far side
can deduplicate too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from runtime.database import Pool

Action = Callable[[AsyncConnection[DictRow]], Awaitable[Any]]


@dataclass(frozen=True)
class LedgerKey:
    tenant_id: str
    thread_id: str
    tool_call_id: str

    @property
    def idempotency_key(self) -> str:
        return f"{self.thread_id}/{self.tool_call_id}"


async def run_once(
    pool: Pool, key: LedgerKey, *, tool_name: str, args: dict[str, Any], action: Action
) -> Any:
    """Run `action` and record its result, or return the result recorded before."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            (f"{key.tenant_id}/{key.idempotency_key}",),
        )
        cursor = await conn.execute(
            "SELECT result FROM tool_ledger"
            " WHERE tenant_id = %s AND thread_id = %s AND tool_call_id = %s",
            (key.tenant_id, key.thread_id, key.tool_call_id),
        )
        recorded = await cursor.fetchone()
        if recorded is not None:
            return recorded["result"]["value"]
        result = await action(conn)
        await conn.execute(
            """
            INSERT INTO tool_ledger (tenant_id, thread_id, tool_call_id, tool_name, args, result)
            VALUES (%s, %s, %s, %s, %s, %s)
            """,
            (
                key.tenant_id,
                key.thread_id,
                key.tool_call_id,
                tool_name,
                Jsonb(args),
                Jsonb({"value": result}),
            ),
        )
        return result


async def ledger_entries(pool: Pool, *, tenant_id: str, thread_id: str) -> list[dict[str, Any]]:
    """The thread's recorded side effects, oldest first."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT tool_call_id, tool_name, args, result, created_at FROM tool_ledger"
            " WHERE tenant_id = %s AND thread_id = %s ORDER BY created_at, tool_call_id",
            (tenant_id, thread_id),
        )
        return [dict(row) for row in await cursor.fetchall()]
