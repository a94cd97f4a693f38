"""Side-effecting tools run once per (thread, tool call id); readers see the run's tenant."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from connectors.ledger import ledger_entries
from graph.context import OpsContext
from graph.tools.base import ToolEnv, effect_tool, reader_tool
from graph.tools.direct import call_tool
from runtime.resources import Resources


class Note(BaseModel):
    """A note to append."""

    text: str


async def append_note(env: ToolEnv, args: Note) -> dict[str, Any]:
    await env.conn.execute(
        "INSERT INTO tenants (tenant_id, name) VALUES (%s, %s)",
        (f"note-{env.tool_call_id}", args.text),
    )
    return {"written": args.text, "key": env.idempotency_key, "tenant": env.tenant_id}


async def count_notes(env: ToolEnv, args: Note) -> int:
    cursor = await env.conn.execute(
        "SELECT count(*) AS n FROM tenants WHERE name = %s", (args.text,)
    )
    row = await cursor.fetchone()
    return int(row["n"]) if row else 0


NOTE = effect_tool(name="append_note", description="Append.", args_schema=Note, body=append_note)
COUNT = reader_tool(name="count_notes", description="Count.", args_schema=Note, body=count_notes)


async def test_a_repeated_call_returns_the_recorded_result_without_acting(
    resources: Resources,
) -> None:
    context = OpsContext(pool=resources.pool)
    for _ in range(3):
        reply = await call_tool(
            NOTE,
            {"text": "hello"},
            context=context,
            tenant_id="default",
            thread_id="t-ledger",
            call_id="call-1",
        )
        assert reply.status == "success"
        assert '"key": "t-ledger/call-1"' in str(reply.content)
    counted = await call_tool(
        COUNT,
        {"text": "hello"},
        context=context,
        tenant_id="default",
        thread_id="t-ledger",
        call_id="call-2",
    )
    assert counted.content == "1"
    entries = await ledger_entries(resources.pool, tenant_id="default", thread_id="t-ledger")
    assert [(e["tool_call_id"], e["tool_name"]) for e in entries] == [("call-1", "append_note")]
    assert entries[0]["args"] == {"text": "hello"}


async def test_another_call_id_acts_again(resources: Resources) -> None:
    context = OpsContext(pool=resources.pool)
    for call_id in ("a", "b"):
        await call_tool(
            NOTE,
            {"text": "twice"},
            context=context,
            tenant_id="default",
            thread_id="t-two",
            call_id=call_id,
        )
    counted = await call_tool(
        COUNT,
        {"text": "twice"},
        context=context,
        tenant_id="default",
        thread_id="t-two",
        call_id="c",
    )
    assert counted.content == "2"


async def test_a_failed_action_records_nothing_and_bad_arguments_are_reported(
    resources: Resources,
) -> None:
    context = OpsContext(pool=resources.pool)
    bad = await call_tool(
        NOTE, {"text": 5}, context=context, tenant_id="default", thread_id="t-bad", call_id="x"
    )
    assert bad.status == "error"
    assert "text" in str(bad.content)
    assert await ledger_entries(resources.pool, tenant_id="default", thread_id="t-bad") == []
