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


CLAIM_SQL = """
    INSERT INTO tool_ledger (tenant_id, thread_id, tool_call_id, tool_name, args, result)
    VALUES (%s, %s, %s, %s, %s, '{}')
    ON CONFLICT (tenant_id, thread_id, tool_call_id) DO NOTHING
    RETURNING true AS claimed
"""
RECORDED_SQL = (
    "SELECT result FROM tool_ledger WHERE tenant_id = %s AND thread_id = %s AND tool_call_id = %s"
)
RECORD_SQL = (
    "UPDATE tool_ledger SET result = %s"
    " WHERE tenant_id = %s AND thread_id = %s AND tool_call_id = %s"
)


async def run_once(
    pool: Pool, key: LedgerKey, *, tool_name: str, args: dict[str, Any], action: Action
) -> Any:
    """Run `action` and record its result, or return the result recorded before.

    One transaction: claim the key by inserting its row, act, write the result into the
    row. A second run of the same call inserting meanwhile waits on the key (the primary
    key's uniqueness check) until the first commits — then its insert does nothing and it
    reads the recorded result in a fresh statement — or rolls back, and then it acts
    itself. No one ever sees a claimed row without its result: both commit together."""
    ids = (key.tenant_id, key.thread_id, key.tool_call_id)
    async with pool.connection() as conn, conn.transaction():
        cursor = await conn.execute(CLAIM_SQL, (*ids, tool_name, Jsonb(args)))
        if await cursor.fetchone() is None:
            cursor = await conn.execute(RECORDED_SQL, ids)
            recorded = await cursor.fetchone()
            if recorded is None:  # cannot happen: the conflicting row was committed
                raise RuntimeError(f"ledger row {key.idempotency_key} vanished")
            return recorded["result"]["value"]
        result = await action(conn)
        await conn.execute(RECORD_SQL, (Jsonb({"value": result}), *ids))
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
