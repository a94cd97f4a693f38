"""The index remembers its embedder: another one is refused until `reindex` re-embeds."""

from __future__ import annotations

import pytest

from rag.embedders import HashingEmbedder
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
