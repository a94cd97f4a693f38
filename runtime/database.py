"""The async connection pool and the connection URL it is opened on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from runtime.embedded import embedded_postgres
from runtime.settings import Settings

Pool = AsyncConnectionPool[AsyncConnection[DictRow]]

# LangGraph's Postgres saver needs autocommit and dict rows. Statements run five times are
# prepared (psycopg's default), which the hot ingestion queries benefit from.
CONNECTION_KWARGS: dict[str, Any] = {"autocommit": True, "row_factory": dict_row}


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
    """Open the pool. Connections are not checked on every checkout (that costs a round
    trip per request); after an outage a broken one fails its request once (503, retried)
    and is discarded, and the pool's reconnection fills in."""
    pool: Pool = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs=CONNECTION_KWARGS,
        open=False,
        name="opsgraph",
        max_idle=300,
    )
    await pool.open(wait=True, timeout=30)
    try:
        yield pool
    finally:
        await pool.close()
