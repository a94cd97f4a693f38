"""LangGraph's Postgres saver, without its process-wide lock when it runs on a pool.

`AsyncPostgresSaver` serializes every read and write behind one lock, which a single
shared connection needs but a pool does not: each operation takes its own pooled
connection. Under a worker running several events at once the lock made checkpointing the
bottleneck (see bench/results/pipeline.json). The upstream fix is pending
(langchain-ai/langgraph#7259); until it ships, this keeps the lock only where it matters.

A thread that has never run has nothing to read back, yet LangGraph asks for its latest
checkpoint once per graph it enters (the master, each domain, each specialist: 4-5 queries
an event). Inside `new_thread(thread_id)` those reads answer "none" without a query.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import CheckpointTuple
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

_NEW_THREAD: ContextVar[str | None] = ContextVar("opsgraph_new_thread", default=None)


@contextmanager
def new_thread(thread_id: str) -> Iterator[None]:
    """Within this block (and the tasks it starts), `thread_id` is known to have no saved
    state: no checkpoint, and so no approval raised from it. Only the caller that knows
    the thread was never run may say so (a first attempt on a fresh thread)."""
    token = _NEW_THREAD.set(thread_id)
    try:
        yield
    finally:
        _NEW_THREAD.reset(token)


def thread_is_new(thread_id: str) -> bool:
    return thread_id == _NEW_THREAD.get()


class PooledPostgresSaver(AsyncPostgresSaver):
    """An `AsyncPostgresSaver` whose operations on a pool run concurrently."""

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        configurable: dict[str, Any] = config.get("configurable", {})
        if thread_is_new(str(configurable.get("thread_id"))):
            return None
        return await super().aget_tuple(config)

    @asynccontextmanager
    async def _cursor(self, *, pipeline: bool = False) -> AsyncIterator[AsyncCursor[DictRow]]:
        if not isinstance(self.conn, AsyncConnectionPool) or self.pipe:
            async with super()._cursor(pipeline=pipeline) as cursor:
                yield cursor
            return
        async with self.conn.connection() as conn:
            if pipeline and self.supports_pipeline:
                async with conn.pipeline(), conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur
            elif pipeline:
                async with (
                    conn.transaction(),
                    conn.cursor(binary=True, row_factory=dict_row) as cur,
                ):
                    yield cur
            else:
                async with conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur
