"""Long threads stay bounded: what a turn writes to the checkpointer stops growing once the
kept window is full, whatever the thread's length (sizes measured in Postgres, no timing)."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage

from graph.chat.graph import chat_registry
from graph.chat.memory import KEEP_TURNS, SUMMARY_LINES
from graph.context import OpsContext
from hitl.policy import load_policy
from runtime.resources import Resources
from tests.graph.chat.support import Conversation, compile_chat

THREAD_BYTES = """
SELECT (SELECT coalesce(sum(octet_length(checkpoint::text) + octet_length(metadata::text)), 0)
          FROM checkpoints WHERE thread_id = %(thread)s)
     + (SELECT coalesce(sum(coalesce(octet_length(blob), 0)), 0)
          FROM checkpoint_blobs WHERE thread_id = %(thread)s)
     + (SELECT coalesce(sum(octet_length(blob)), 0)
          FROM checkpoint_writes WHERE thread_id = %(thread)s) AS bytes
"""
TURNS = 50
QUESTION = "what is our return window for damaged items?"


async def thread_bytes(resources: Resources, thread_id: str) -> int:
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(THREAD_BYTES, {"thread": thread_id})
        row = await cursor.fetchone()
    assert row is not None
    return int(row["bytes"])


@pytest.mark.usefixtures("sample_kb")
async def test_bytes_written_per_turn_do_not_grow_with_the_thread(resources: Resources) -> None:
    context = OpsContext(pool=resources.pool, policy=load_policy(), tools=chat_registry())
    chat = Conversation(compile_chat(resources), context)
    written: dict[int, int] = {}
    before = 0
    for turn in range(1, TURNS + 1):
        await chat.say(QUESTION)
        after = await thread_bytes(resources, chat.thread_id)
        written[turn] = after - before
        before = after

    # Full from here on: the kept turns, and the summary (two lines per trimmed turn).
    full = KEEP_TURNS + SUMMARY_LINES // 2 + 1
    steady = [written[t] for t in range(full, TURNS + 1)]
    assert max(steady) <= 1.1 * min(steady), (min(steady), max(steady))
    assert written[TURNS] <= 1.1 * written[full]
    assert written[TURNS] <= (KEEP_TURNS + 1) * written[1]
    values = await chat.values()
    assert sum(isinstance(m, HumanMessage) for m in values["messages"]) == KEEP_TURNS
    assert len(values["summary"].splitlines()) == SUMMARY_LINES
    assert values["turn"] == TURNS
