"""The side-effect ledger: an action runs once per key, with its effect and its record in one
transaction, whatever repeats or races it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from connectors.ledger import LedgerKey, ledger_entries, run_once
from runtime.database import Pool
from runtime.resources import Resources


@pytest.fixture
def pool(resources: Resources) -> Pool:
    return resources.pool


def a_key() -> LedgerKey:
    return LedgerKey("default", f"thread-{uuid.uuid4()}", "call-1")


async def notes(pool: Pool, name: str) -> int:
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT count(*) AS n FROM tenants WHERE name = %s", (name,))
        row = await cursor.fetchone()
    return int(row["n"]) if row else 0


def writing_note(name: str, acted: list[str], *, pause_s: float = 0.0) -> Any:
    """An action that writes a row (its effect), optionally dawdles, and answers its name."""

    async def act(conn: AsyncConnection[DictRow]) -> dict[str, Any]:
        acted.append(name)
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, %s)", (f"n-{uuid.uuid4()}", name)
        )
        await asyncio.sleep(pause_s)
        return {"note": name, "n": len(acted)}

    return act


async def test_a_repeat_returns_the_recorded_result_and_does_not_act(pool: Pool) -> None:
    key, name = a_key(), f"repeat-{uuid.uuid4()}"
    acted: list[str] = []
    first = await run_once(pool, key, tool_name="note", args={}, action=writing_note(name, acted))
    again = await run_once(pool, key, tool_name="note", args={}, action=writing_note(name, acted))
    assert first == again == {"note": name, "n": 1}
    assert acted == [name]
    assert await notes(pool, name) == 1
    entries = await ledger_entries(pool, tenant_id="default", thread_id=key.thread_id)
    assert [(e["tool_call_id"], e["result"]["value"]) for e in entries] == [("call-1", first)]


async def test_two_racing_runs_of_one_call_act_once(pool: Pool) -> None:
    """The second waits on the lock, then finds the first's committed record."""
    key, name = a_key(), f"race-{uuid.uuid4()}"
    acted: list[str] = []
    results = await asyncio.gather(
        *(
            run_once(
                pool, key, tool_name="note", args={}, action=writing_note(name, acted, pause_s=0.2)
            )
            for _ in range(3)
        )
    )
    assert acted == [name]
    assert results == [{"note": name, "n": 1}] * 3
    assert await notes(pool, name) == 1


async def test_a_failed_action_leaves_no_effect_and_no_record(pool: Pool) -> None:
    key, name = a_key(), f"failed-{uuid.uuid4()}"

    async def act_then_fail(conn: AsyncConnection[DictRow]) -> None:
        await writing_note(name, [])(conn)
        raise RuntimeError("the far side refused")

    with pytest.raises(RuntimeError, match="refused"):
        await run_once(pool, key, tool_name="note", args={}, action=act_then_fail)
    assert await notes(pool, name) == 0
    assert await ledger_entries(pool, tenant_id="default", thread_id=key.thread_id) == []
    acted: list[str] = []
    retried = await run_once(pool, key, tool_name="note", args={}, action=writing_note(name, acted))
    assert retried == {"note": name, "n": 1}
    assert await notes(pool, name) == 1


async def test_an_action_that_breaks_a_statement_records_nothing(pool: Pool) -> None:
    key = a_key()

    async def bad_statement(conn: AsyncConnection[DictRow]) -> None:
        await conn.execute("SELECT 1 / 0")

    with pytest.raises(Exception, match="division by zero"):
        await run_once(pool, key, tool_name="note", args={}, action=bad_statement)
    assert await ledger_entries(pool, tenant_id="default", thread_id=key.thread_id) == []


async def test_the_pooled_connection_comes_back_idle(pool: Pool) -> None:
    """Nothing of the ledger's transaction or pipeline is left on the connection."""
    name = f"idle-{uuid.uuid4()}"
    await run_once(pool, a_key(), tool_name="note", args={}, action=writing_note(name, []))
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT 1 AS one")
        assert (await cursor.fetchone()) == {"one": 1}
        assert conn.info.transaction_status.name == "IDLE"


async def test_a_run_waiting_on_a_call_that_fails_acts_itself(pool: Pool) -> None:
    """The first run's claim rolls back with its failure; the waiting run then claims."""
    key, name = a_key(), f"takeover-{uuid.uuid4()}"
    acted: list[str] = []

    async def slow_failure(conn: AsyncConnection[DictRow]) -> None:
        await writing_note(name, acted, pause_s=0.3)(conn)
        raise RuntimeError("lost the far side")

    async def second() -> Any:
        await asyncio.sleep(0.1)  # the first has claimed the key by now
        action = writing_note(name, acted)
        return await run_once(pool, key, tool_name="note", args={}, action=action)

    outcomes: tuple[Any, Any] = await asyncio.gather(
        run_once(pool, key, tool_name="note", args={}, action=slow_failure),
        second(),
        return_exceptions=True,
    )
    first, later = outcomes
    assert isinstance(first, RuntimeError)
    assert later == {"note": name, "n": 2}
    assert acted == [name, name]
    assert await notes(pool, name) == 1
