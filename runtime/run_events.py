"""A run's stream, kept in `run_events` and announced on a Postgres channel.

The worker appends each event (numbered from 1) and notifies `run_events` with the run id
in the same statement; an API process tails the table from the last number it sent and
waits on the channel between reads. The table is the truth (a client that reconnects with
`Last-Event-ID` gets what it missed); the notification only saves polling, so a lost one
costs at most `POLL_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import decimal
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from pydantic import BaseModel

from runtime.database import Pool

logger = logging.getLogger(__name__)

CHANNEL = "run_events"
POLL_S = 0.5
FINAL_EVENTS = frozenset({"end", "error"})


def jsonable(value: Any) -> Any:
    """`json.dumps` default: messages and other models as LangGraph's server sends them."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return repr(value)


def dumps(value: Any) -> str:
    return json.dumps(value, default=jsonable, ensure_ascii=False, separators=(",", ":"))


def to_json(value: Any) -> Any:
    """`value` as plain JSON types (for a response model or a jsonb column)."""
    return json.loads(dumps(value))


def output_of(snapshot: Any) -> dict[str, Any]:
    """A thread's values as `runs/wait` answers them (`__interrupt__` while paused)."""
    values: dict[str, Any] = to_json(snapshot.values) if snapshot.values else {}
    if snapshot.interrupts:
        values["__interrupt__"] = [
            {"value": to_json(i.value), "id": i.id} for i in snapshot.interrupts
        ]
    return values


async def append_events(
    pool: Pool, run_id: uuid.UUID, first_seq: int, events: list[tuple[str, str]]
) -> int:
    """Append `(event, json)` pairs numbered from `first_seq`; returns the next number."""
    if not events:
        return first_seq
    seqs = list(range(first_seq, first_seq + len(events)))
    async with pool.connection() as conn:
        await conn.execute(
            """
            WITH added AS (
                INSERT INTO run_events (run_id, seq, event, data)
                SELECT %s, s, e, d FROM unnest(%s::int[], %s::text[], %s::text[]) AS t(s, e, d)
                RETURNING 1
            )
            SELECT pg_notify(%s, %s) FROM (SELECT count(*) FROM added) AS c
            """,
            (
                run_id,
                seqs,
                [name for name, _ in events],
                [data for _, data in events],
                CHANNEL,
                str(run_id),
            ),
        )
    return first_seq + len(events)


async def events_after(pool: Pool, run_id: uuid.UUID, seq: int) -> list[tuple[int, str, str]]:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT seq, event, data FROM run_events WHERE run_id = %s AND seq > %s ORDER BY seq",
            (run_id, seq),
        )
        return [(row["seq"], row["event"], row["data"]) for row in await cursor.fetchall()]


class RunEventHub:
    """One LISTEN connection per API process, waking the streams of the runs it names."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.waiters: dict[str, set[asyncio.Event]] = defaultdict(set)

    async def listen(self) -> None:
        """Deliver notifications until cancelled, reconnecting after a lost connection."""
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    async for notice in conn.notifies():
                        for waiter in self.waiters.get(notice.payload, ()):
                            waiter.set()
            except psycopg.Error as exc:
                logger.warning("run events listener lost: %s", type(exc).__name__)
                await asyncio.sleep(1)

    @asynccontextmanager
    async def watching(self, run_id: uuid.UUID) -> AsyncIterator[asyncio.Event]:
        key = str(run_id)
        event = asyncio.Event()
        self.waiters[key].add(event)
        try:
            yield event
        finally:
            self.waiters[key].discard(event)
            if not self.waiters[key]:
                del self.waiters[key]


@asynccontextmanager
async def listening(pool: Pool) -> AsyncIterator[RunEventHub]:
    hub = RunEventHub(str(pool.conninfo))
    task = asyncio.create_task(hub.listen(), name="run-events-listener")
    try:
        yield hub
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def tail(
    pool: Pool, hub: RunEventHub | None, run_id: uuid.UUID, after: int = 0
) -> AsyncIterator[tuple[int, str, str]]:
    """The run's events after number `after`, as they are written, through `end`/`error`."""
    seen = after
    if hub is None:
        context: Any = contextlib.nullcontext(asyncio.Event())
    else:
        context = hub.watching(run_id)
    async with context as woken:
        while True:
            woken.clear()
            found = await events_after(pool, run_id, seen)
            for seq, name, data in found:
                seen = seq
                yield seq, name, data
                if name in FINAL_EVENTS:
                    return
            if not found:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), POLL_S)
