"""The vector index: which embedder made the stored vectors, the column's dimension and its
HNSW index, and re-embedding everything when the configured embedder changes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from rag.embedders import Embedder
from rag.fulltext import forget_frequencies
from runtime.database import Pool

# Serializes claiming and re-building the index (and writes that depend on it).
INDEX_LOCK_ID = 7_301_955_013
HNSW_INDEX = "kb_chunks_embedding_hnsw"
TEXT_INDEX = "kb_chunks_search_text"
HEADING_INDEX = "kb_chunks_heading_words"
BULK_LOAD_INDEXES = (HNSW_INDEX, TEXT_INDEX, HEADING_INDEX)
"""Dropped for a bulk load and built once after it."""
REINDEX_BATCH = 512
BUILD_MEMORY = "512MB"
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 200
"""pgvector's default m, with a wider build-time search than its default 64: on 100k
synthetic chunks recall@10 at ef_search 100 rises from 0.71 to 0.82-0.85 for a build ~1.7x as
long and no slower queries (bench.rag). Indexes built before keep theirs until a reindex.
m 24/32 or ef_construction 400 reach only 0.87-0.88 there, for a 1.5-2.2x build and (m)
slower scans: see the sweep in docs/architecture.md."""

ReindexProgress = Callable[[int, int], None]
"""Called with (chunks embedded so far, chunks in total)."""


@dataclass(frozen=True)
class IndexInfo:
    embedder: str
    dimension: int


class EmbedderMismatchError(RuntimeError):
    """The configured embedder is not the one the stored vectors were made with."""

    def __init__(self, indexed: IndexInfo, configured: Embedder) -> None:
        self.indexed = indexed
        self.configured_name = configured.name
        super().__init__(
            f"the knowledge base was indexed with {indexed.embedder!r} "
            f"({indexed.dimension} dimensions) but the configured embedder is "
            f"{configured.name!r}: run `opsgraph kb reindex` to re-embed every chunk with it, "
            f"or set OPSGRAPH_EMBEDDER back to {indexed.embedder!r}"
        )


class EmptyIndexError(LookupError):
    """Nothing has been ingested yet, so there is no recorded embedder."""


def vector_literal(values: Sequence[float]) -> str:
    """pgvector's text form; `%.7g` keeps float32 precision."""
    return "[" + ",".join(f"{value:.7g}" for value in values) + "]"


async def index_info(conn: AsyncConnection[DictRow]) -> IndexInfo | None:
    cursor = await conn.execute("SELECT embedder, dimension FROM kb_index")
    row = await cursor.fetchone()
    return None if row is None else IndexInfo(row["embedder"], int(row["dimension"]))


def check_embedder(info: IndexInfo | None, embedder: Embedder) -> None:
    """Refuse an embedder whose vectors would not be comparable with the stored ones."""
    if info is not None and (
        info.embedder != embedder.name or info.dimension != embedder.dimension
    ):
        raise EmbedderMismatchError(info, embedder)


async def ensure_index(conn: AsyncConnection[DictRow], embedder: Embedder) -> IndexInfo:
    """The index for `embedder`: claimed for it if nothing is indexed yet, refused if another
    embedder made the stored vectors. Call inside a transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (INDEX_LOCK_ID,))
    info = await index_info(conn)
    check_embedder(info, embedder)
    if info is not None:
        await build_hnsw(conn)  # only if a bulk load was cut short
        return info
    await _shape_column(conn, embedder.dimension)
    await build_hnsw(conn)
    await conn.execute(
        "INSERT INTO kb_index (embedder, dimension) VALUES (%s, %s)",
        (embedder.name, embedder.dimension),
    )
    return IndexInfo(embedder.name, embedder.dimension)


@asynccontextmanager
async def bulk_load(pool: Pool, embedder: Embedder) -> AsyncIterator[None]:
    """Drop the HNSW and full-text indexes for a big load and build them once afterwards
    (searches meanwhile scan the table: correct, slower): both build several times faster
    than they take rows one by one. The builds get a larger `maintenance_work_mem`, so the
    graph is built in memory. The indexes are rebuilt even if the load fails; a process
    killed in between leaves them to the next ingestion's `ensure_index`."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (INDEX_LOCK_ID,))
        check_embedder(await index_info(conn), embedder)
        for index in BULK_LOAD_INDEXES:
            await conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(index)))
    try:
        yield
    finally:
        async with pool.connection() as conn:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (INDEX_LOCK_ID,))
                await build_hnsw(conn)
            # Fresh statistics: the planner weighs the scope index against HNSW with them,
            # and full-text search reads lexeme frequencies from them.
            await conn.execute("ANALYZE kb_chunks")
            forget_frequencies()


async def build_hnsw(conn: AsyncConnection[DictRow], *, memory: str = BUILD_MEMORY) -> None:
    """Create the HNSW and full-text indexes if they are missing (the full-text ones are
    the migrations', dropped only by `bulk_load`). Call inside a transaction."""
    await conn.execute(sql.SQL("SET LOCAL maintenance_work_mem = {}").format(sql.Literal(memory)))
    await conn.execute(CREATE_TEXT_INDEX)
    await conn.execute(CREATE_HEADING_INDEX)
    await conn.execute(CREATE_HNSW)


CREATE_TEXT_INDEX = sql.SQL(
    "CREATE INDEX IF NOT EXISTS {} ON kb_chunks USING gin (search_text)"
).format(sql.Identifier(TEXT_INDEX))
CREATE_HEADING_INDEX = sql.SQL(
    "CREATE INDEX IF NOT EXISTS {} ON kb_chunks"
    " USING gin (to_tsvector('english'::regconfig, heading_path || ' ' || title))"
).format(sql.Identifier(HEADING_INDEX))
CREATE_HNSW = sql.SQL(
    "CREATE INDEX IF NOT EXISTS {} ON kb_chunks USING hnsw (embedding vector_cosine_ops)"
    " WITH (m = {}, ef_construction = {})"
).format(sql.Identifier(HNSW_INDEX), sql.Literal(HNSW_M), sql.Literal(HNSW_EF_CONSTRUCTION))


async def _shape_column(conn: AsyncConnection[DictRow], dimension: int) -> None:
    """Give the embedding column the embedder's dimension (HNSW indexes need one); vectors of
    another dimension cannot stay, so they are cleared (a reindex writes them again)."""
    await conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(HNSW_INDEX)))
    await conn.execute(
        sql.SQL("ALTER TABLE kb_chunks ALTER COLUMN embedding TYPE vector({}) USING NULL").format(
            sql.Literal(dimension)
        )
    )


async def reindex(
    pool: Pool, embedder: Embedder, *, progress: ReindexProgress | None = None
) -> int:
    """Re-embed every chunk of every tenant with `embedder` and rebuild the HNSW index after
    the load (faster than maintaining it row by row). One transaction: searches wait, and a
    failure leaves the old index as it was. Returns the number of chunks embedded."""
    from rag.chunking import embedding_text

    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (INDEX_LOCK_ID,))
        await _shape_column(conn, embedder.dimension)
        cursor = await conn.execute(
            "SELECT chunk_id, title, heading_path, content FROM kb_chunks ORDER BY chunk_id"
        )
        rows = await cursor.fetchall()
        await conn.execute(
            "CREATE TEMP TABLE kb_reindexed (chunk_id bigint, embedding text) ON COMMIT DROP"
        )
        for start in range(0, len(rows), REINDEX_BATCH):
            batch = rows[start : start + REINDEX_BATCH]
            vectors = embedder.embed_documents(
                [embedding_text(r["title"], r["heading_path"], r["content"]) for r in batch]
            )
            async with conn.cursor().copy(
                "COPY kb_reindexed (chunk_id, embedding) FROM STDIN"
            ) as copy:
                for row, vector in zip(batch, vectors, strict=True):
                    await copy.write_row((row["chunk_id"], vector_literal(vector)))
            if progress is not None:
                progress(start + len(batch), len(rows))
        await conn.execute(
            "UPDATE kb_chunks SET embedding = kb_reindexed.embedding::vector "
            "FROM kb_reindexed WHERE kb_chunks.chunk_id = kb_reindexed.chunk_id"
        )
        await build_hnsw(conn)
        await conn.execute("DELETE FROM kb_index")
        await conn.execute(
            "INSERT INTO kb_index (embedder, dimension) VALUES (%s, %s)",
            (embedder.name, embedder.dimension),
        )
    return len(rows)
