"""The async connection pool and the connection URL it is opened on."""

from __future__ import annotations

import select
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.pq import ConnStatus, TransactionStatus
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from runtime.embedded import embedded_postgres
from runtime.settings import Settings

Pool = AsyncConnectionPool[AsyncConnection[DictRow]]

# LangGraph's Postgres saver needs autocommit and dict rows. Statements run five times are
# prepared (psycopg's default), which the hot ingestion queries benefit from.
CONNECTION_KWARGS: dict[str, Any] = {"autocommit": True, "row_factory": dict_row}

RECONNECT_GIVE_UP_S = 2.0
"""How long one reconnection attempt backs off before the pool gives it up.

psycopg_pool retries a lost connection at 1, 2, 4, 8... s, so after an outage of N
seconds the next attempt can be N seconds away while requests wait (or answer 503).
Giving an attempt up after 2 s caps the wait: the next request that finds the pool
empty starts a fresh attempt at once."""


def dropped(conn: AsyncConnection[Any]) -> bool:
    """True when the server has closed this idle connection (a restart, a fast shutdown).

    An idle connection has nothing to read unless the server said goodbye (or sent a
    notice), so one zero-timeout `select` tells most checkouts apart without a round trip.
    """
    if conn.closed or conn.broken:
        return True
    status = conn.pgconn.transaction_status
    if status == TransactionStatus.UNKNOWN:
        return True
    if status != TransactionStatus.IDLE:
        return False  # busy: what is on the socket is someone's answer, not a goodbye
    readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    if not readable:
        return False
    try:
        conn.pgconn.consume_input()
    except psycopg.OperationalError:
        return True
    return conn.pgconn.status != ConnStatus.OK


class ReconnectingPool(AsyncConnectionPool[AsyncConnection[DictRow]]):
    """A pool that hands out no connection the server has already closed.

    After an outage every idle connection is dead. psycopg_pool's `check` callback would
    find them, but it backs off 1, 2, 4... s between failed checks, so a pool of dead
    connections still answers 503 for seconds; here they are closed and skipped at once.
    """

    async def getconn(self, timeout: float | None = None) -> AsyncConnection[DictRow]:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            conn = await super().getconn(max(deadline - time.monotonic(), 0.0))
            if not dropped(conn):
                return conn
            await conn.close()
            await self.putconn(conn)  # a closed connection is replaced, not pooled


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """Yield the configured URL, or start the embedded server and yield its URL."""
    if settings.database_url is not None:
        yield settings.database_url.get_secret_value()
        return
    with embedded_postgres(settings.embedded_pg_dir) as url:
        yield url


@asynccontextmanager
async def open_pool(url: str, *, min_size: int = 2, max_size: int = 16) -> AsyncIterator[Pool]:
    """Open the pool. A checkout costs one non-blocking `select`, not a round trip (see
    `dropped`); after an outage reconnection is retried promptly (`RECONNECT_GIVE_UP_S`)."""
    pool = ReconnectingPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs=CONNECTION_KWARGS,
        open=False,
        name="opsgraph",
        max_idle=300,
        reconnect_timeout=RECONNECT_GIVE_UP_S,
    )
    await pool.open(wait=True, timeout=30)
    try:
        yield pool
    finally:
        await pool.close()
