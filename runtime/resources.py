"""Everything a process needs open to serve: database, pool, migrations, checkpointer, queue."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import procrastinate
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.store.postgres.aio import AsyncPostgresStore

from runtime.checkpoint import PooledPostgresSaver
from runtime.database import Pool, database_url, open_pool
from runtime.migrate import migrate
from runtime.queue import build_queue_app
from runtime.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resources:
    settings: Settings
    pool: Pool
    queue: procrastinate.App
    checkpointer: AsyncPostgresSaver
    store: AsyncPostgresStore


@asynccontextmanager
async def open_resources(
    settings: Settings,
    *,
    register_tasks: Callable[[procrastinate.App], None] | None = None,
) -> AsyncIterator[Resources]:
    """Open the database (embedded unless a URL is set), migrate it, and attach the queue."""
    with database_url(settings) as url:
        async with open_pool(
            url, min_size=settings.pool_min_size, max_size=settings.pool_max_size
        ) as pool:
            applied = await migrate(pool)
            if applied:
                logger.info("database migrated: %d migration(s) applied", len(applied))
            queue = build_queue_app(url)
            if register_tasks is not None:
                register_tasks(queue)
            async with queue.open_async():
                yield Resources(
                    settings=settings,
                    pool=pool,
                    queue=queue,
                    checkpointer=PooledPostgresSaver(pool),
                    store=AsyncPostgresStore(pool),
                )
