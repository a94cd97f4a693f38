"""The index remembers its embedder: another one is refused until `reindex` re-embeds."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from psycopg import AsyncConnection
from psycopg.rows import DictRow

import rag.search
from rag.embedders import HashingEmbedder
from rag.fulltext import text_candidates
from rag.index import EmbedderMismatchError, index_info, reindex
from rag.ingest import SourceFile, ingest_files
from rag.search import search
from runtime.database import Pool
from tests.rag.support import RETURNS_MD, add_tenant


async def vector_dimensions(pool: Pool) -> set[int | None]:
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT DISTINCT vector_dims(embedding) AS d FROM kb_chunks")
        return {row["d"] for row in await cursor.fetchall()}


async def test_another_embedder_is_refused_until_reindex(pool: Pool) -> None:
    await add_tenant(pool, "kb-reindex")
    first, second = HashingEmbedder(512), HashingEmbedder(256)
    returns = SourceFile("returns.md", RETURNS_MD.encode())
    await ingest_files(pool, "kb-reindex", [returns], embedder=first)

    with pytest.raises(EmbedderMismatchError, match="opsgraph kb reindex") as refused:
        await ingest_files(pool, "kb-reindex", [SourceFile("b.md", b"# B")], embedder=second)
    assert "'hashing-v1-512' (512 dimensions)" in str(refused.value)
    assert "'hashing-v1-256'" in str(refused.value)
    with pytest.raises(EmbedderMismatchError):
        await search(pool, "kb-reindex", "damaged", embedder=second)
    assert await search(pool, "kb-reindex", "damaged", mode="text", embedder=second)

    progress: list[tuple[int, int]] = []
    count = await reindex(pool, second, progress=lambda done, total: progress.append((done, total)))

    assert count == 3 and progress[-1] == (3, 3)
    async with pool.connection() as conn:
        info = await index_info(conn)
    assert info is not None and (info.embedder, info.dimension) == ("hashing-v1-256", 256)
    assert await vector_dimensions(pool) == {256}
    with pytest.raises(EmbedderMismatchError):
        await search(pool, "kb-reindex", "damaged", embedder=first)
    [hit] = await search(pool, "kb-reindex", "damaged items photo", k=1, embedder=second)
    assert hit.heading_path == "Returns > Damaged items"
    assert hit.vector_rank == 1
    added = await ingest_files(pool, "kb-reindex", [SourceFile("b.md", b"# B")], embedder=second)
    assert added.added == 1
    # Without an embedder, search uses the one the index records.
    [again] = await search(pool, "kb-reindex", "damaged items photo", k=1, mode="vector")
    assert again.chunk_id == hit.chunk_id


async def test_a_refused_hybrid_search_leaves_no_query_behind_on_a_pooled_connection(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vector side is refused while the text side's query is still running: that query
    must be cancelled before the connections go back to the pool, or it keeps running there,
    sharing the connection with whoever checks it out next."""
    await add_tenant(pool, "kb-refused")
    indexed, other = HashingEmbedder(256), HashingEmbedder(128)
    await ingest_files(
        pool, "kb-refused", [SourceFile("r.md", RETURNS_MD.encode())], embedder=indexed
    )
    async with pool.connection(), pool.connection():
        pass  # two idle connections: the search runs its two sides at once
    text_side_running, text_side_cancelled = False, False

    async def slow_text_candidates(
        conn: AsyncConnection[DictRow], *args: Any, **kwargs: Any
    ) -> Any:
        nonlocal text_side_running, text_side_cancelled
        text_side_running = True
        try:
            await conn.execute("SELECT pg_sleep(20)")
            return await text_candidates(conn, *args, **kwargs)
        except asyncio.CancelledError:
            text_side_cancelled = True
            raise
        finally:
            text_side_running = False

    monkeypatch.setattr(rag.search, "text_candidates", slow_text_candidates)
    async with asyncio.timeout(60):
        with pytest.raises(EmbedderMismatchError):
            await search(pool, "kb-refused", "damaged items", mode="hybrid", embedder=other)
    assert text_side_cancelled and not text_side_running
    assert "returns_bad" not in pool.get_stats()
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT count(*) AS n FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep%%'"
            " AND state = 'active'"
        )
        assert (await cursor.fetchone()) == {"n": 0}
