"""`dropped` tells a closed connection from a live one without taking anyone's answer."""

from __future__ import annotations

import asyncio
import select

import psycopg
from psycopg.pq import TransactionStatus

from runtime.database import dropped


async def test_a_connection_with_a_query_in_flight_keeps_its_answer(database_url: str) -> None:
    """A checkout that peeks at a busy connection must not read its answer off the socket:
    the coroutine waiting for it would never see the socket readable again and hang."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        query = asyncio.create_task(conn.execute("SELECT 42"))
        for _ in range(1000):
            if conn.pgconn.transaction_status == TransactionStatus.ACTIVE:
                break
            await asyncio.sleep(0)
        assert conn.pgconn.transaction_status == TransactionStatus.ACTIVE
        readable, _, _ = select.select([conn.pgconn.socket], [], [], 10)  # the answer is here
        assert readable

        assert not dropped(conn)

        async with asyncio.timeout(10):  # a guard: with the answer taken, this never returns
            cursor = await query
        assert await cursor.fetchone() == (42,)
