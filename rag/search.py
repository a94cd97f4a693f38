"""Retrieval: full text (websearch_to_tsquery, ranked) and pgvector cosine candidates, fused by
reciprocal rank (k = 60, pgvector's recommended hybrid search). Always scoped by tenant.

pgvector 0.6 filters an HNSW scan's results *after* the index returns its `ef_search`
candidates, so a tenant holding 1% of the rows would get about 1% of them back. The vector
side therefore sizes the scan to the share of rows in scope: a small scope is searched exactly
(its own rows through the btree scope index, no HNSW), a larger one through HNSW with
`ef_search` raised in proportion to how much the filter will drop, and a scan that still comes
back short is repeated exactly. See `vector_candidates`.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Literal, TypeVar

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg_pool import PoolTimeout

from rag.embedders import Embedder, make_embedder
from rag.fulltext import as_tsquery, text_candidates
from rag.index import check_embedder, index_info, vector_literal
from runtime.database import Pool

Mode = Literal["hybrid", "text", "vector"]
MODES: tuple[Mode, ...] = ("hybrid", "text", "vector")
First = TypeVar("First")
Second = TypeVar("Second")
RRF_K = 60
DEFAULT_EF_SEARCH = 100
"""Recall@10 0.82-0.85 at 100k synthetic chunks (0.96 at 10k, 0.99 on real text); 0.95 there
costs about three times the index pages per scan, more than the hybrid p95 target allows."""
MAX_EF_SEARCH = 1_000
SECOND_CONNECTION_WAIT_S = 0.005
EXACT_SCAN_MAX = 5_000
"""Scopes up to this many chunks are searched exactly: cheaper than a widened HNSW scan."""

SCOPE_SIZE = """
SELECT coalesce(sum(chunk_count) FILTER (
           WHERE tenant_id = %(tenant_id)s
             AND (%(collection)s::text IS NULL OR collection = %(collection)s)), 0) AS scoped,
       coalesce(sum(chunk_count), 0) AS total
  FROM kb_documents
"""

HNSW_CANDIDATES = """
SELECT chunk_id, 1 - (embedding <=> %(vector)s::vector) AS similarity
  FROM kb_chunks
 WHERE tenant_id = %(tenant_id)s
   AND (%(collection)s::text IS NULL OR collection = %(collection)s)
 ORDER BY embedding <=> %(vector)s::vector
 LIMIT %(limit)s
"""

# OFFSET 0 keeps the planner from flattening the subquery into an HNSW index scan.
EXACT_CANDIDATES = """
SELECT chunk_id, 1 - distance AS similarity FROM (
    SELECT chunk_id, embedding <=> %(vector)s::vector AS distance
      FROM kb_chunks
     WHERE tenant_id = %(tenant_id)s
       AND (%(collection)s::text IS NULL OR collection = %(collection)s)
       AND embedding IS NOT NULL
    OFFSET 0) scoped
 ORDER BY distance, chunk_id
 LIMIT %(limit)s
"""

HIT_DETAILS = """
SELECT c.chunk_id, c.document_id, c.collection, d.source, c.title, c.heading_path,
       c.position, c.content,
       ts_headline('english', c.content, %(tsquery)s::tsquery,
                   'StartSel=«, StopSel=», MaxWords=35, MinWords=12, MaxFragments=2')
           AS snippet
  FROM kb_chunks c JOIN kb_documents d ON d.document_id = c.document_id
 WHERE c.tenant_id = %(tenant_id)s AND c.chunk_id = ANY(%(chunk_ids)s)
"""


@dataclass(frozen=True)
class SearchHit:
    """A chunk that answers the query. `score`: the fused reciprocal-rank score (hybrid),
    the `ts_rank` (text) or the cosine similarity (vector). `snippet`: ts_headline's best
    fragments with the query's words marked «like this» (unambiguous in Markdown and HTML)."""

    chunk_id: int
    document_id: uuid.UUID
    collection: str
    source: str
    title: str
    heading_path: str
    position: int
    score: float
    snippet: str
    content: str
    text_rank: int | None = None
    vector_rank: int | None = None

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["document_id"] = str(self.document_id)
        return found


class SearchError(ValueError):
    """A query we cannot run (bad mode or k)."""


@lru_cache(maxsize=4)
def cached_embedder(name: str) -> Embedder:
    """The embedder a setting or a recorded index name names, built once (models are slow
    to load)."""
    return make_embedder(name)


async def search(
    pool: Pool,
    tenant_id: str,
    query: str,
    *,
    k: int = 5,
    mode: Mode = "hybrid",
    collection: str | None = None,
    embedder: Embedder | None = None,
    ef_search: int = DEFAULT_EF_SEARCH,
) -> list[SearchHit]:
    """The `k` best chunks of `tenant_id`'s knowledge base for `query`.

    `embedder`: the configured one, refused (EmbedderMismatchError) if the index was built
    with another; None uses the embedder the index records (what agents' tools do).
    A hybrid search runs its text and vector sides at once on two connections when the
    pool has a second one free right away (it never waits for one: sequential is fine).
    """
    async with pool.connection() as conn:
        second: AsyncConnection[DictRow] | None = None
        if mode == "hybrid":
            try:
                second = await pool.getconn(timeout=SECOND_CONNECTION_WAIT_S)
            except PoolTimeout:
                second = None
        try:
            return await search_on(
                conn,
                tenant_id,
                query,
                k=k,
                mode=mode,
                collection=collection,
                embedder=embedder,
                ef_search=ef_search,
                vector_conn=second,
            )
        finally:
            if second is not None:
                await pool.putconn(second)


async def search_on(
    conn: AsyncConnection[DictRow],
    tenant_id: str,
    query: str,
    *,
    k: int = 5,
    mode: Mode = "hybrid",
    collection: str | None = None,
    embedder: Embedder | None = None,
    ef_search: int = DEFAULT_EF_SEARCH,
    vector_conn: AsyncConnection[DictRow] | None = None,
) -> list[SearchHit]:
    """`search` on a connection the caller holds (a tool's, for instance); with
    `vector_conn`, the vector side runs there while the text side runs on `conn`."""
    if mode not in MODES:
        raise SearchError(f"mode must be one of {', '.join(MODES)}")
    if not 1 <= k <= 100:
        raise SearchError("k must be between 1 and 100")
    wanted = max(3 * k, 30)
    tsquery = await as_tsquery(conn, query)
    scope = {"tenant_id": tenant_id, "collection": collection}
    cursor = await conn.execute(SCOPE_SIZE, scope)
    sizes = await cursor.fetchone()
    scoped, total = (int(sizes["scoped"]), int(sizes["total"])) if sizes else (0, 0)
    if scoped == 0:
        return []

    async def text_side() -> list[tuple[int, float]]:
        if mode in ("hybrid", "text") and tsquery:
            return await text_candidates(conn, scope, tsquery, wanted, total)
        return []

    async def vector_side(on: AsyncConnection[DictRow]) -> list[tuple[int, float]]:
        nonlocal embedder
        if mode not in ("hybrid", "vector"):
            return []
        info = await index_info(on)
        if info is None:
            return []
        if embedder is None:
            embedder = cached_embedder(info.embedder)
        check_embedder(info, embedder)
        vector = await asyncio.to_thread(embedder.embed_query, query)
        return await vector_candidates(
            on, scope, vector_literal(vector), wanted, ef_search, (scoped, total)
        )

    if vector_conn is not None:
        text_ranked, vector_ranked = await both(text_side(), vector_side(vector_conn))
    else:
        text_ranked = await text_side()
        vector_ranked = await vector_side(conn)
    scored = fuse(mode, text_ranked, vector_ranked)[:k]
    if not scored:
        return []
    cursor = await conn.execute(
        HIT_DETAILS,
        {"tenant_id": tenant_id, "tsquery": tsquery, "chunk_ids": [c for c, *_ in scored]},
    )
    details = {r["chunk_id"]: r for r in await cursor.fetchall()}
    return [
        SearchHit(**details[chunk_id], score=score, text_rank=text_at, vector_rank=vector_at)
        for chunk_id, score, text_at, vector_at in scored
        if chunk_id in details
    ]


async def both(first: Awaitable[First], second: Awaitable[Second]) -> tuple[First, Second]:
    """Await two coroutines at once. When one fails the other is cancelled and awaited before
    the error propagates (`asyncio.gather` leaves it running): each runs on a connection the
    caller returns to the pool as soon as this raises, and a query still in flight there
    would share it with whoever checks it out next."""
    first_task, second_task = asyncio.ensure_future(first), asyncio.ensure_future(second)
    try:
        return await asyncio.gather(first_task, second_task)
    except BaseException:
        first_task.cancel()
        second_task.cancel()
        await asyncio.gather(first_task, second_task, return_exceptions=True)
        raise


def fuse(
    mode: Mode, text_ranked: list[tuple[int, float]], vector_ranked: list[tuple[int, float]]
) -> list[tuple[int, float, int | None, int | None]]:
    """(chunk id, score, rank in text, rank in vector), best first; ranks count from 1."""
    text_at = {chunk: rank for rank, (chunk, _) in enumerate(text_ranked, start=1)}
    vector_at = {chunk: rank for rank, (chunk, _) in enumerate(vector_ranked, start=1)}
    if mode == "text":
        scores = dict(text_ranked)
    elif mode == "vector":
        scores = dict(vector_ranked)
    else:
        scores = {
            chunk: sum(1.0 / (RRF_K + at[chunk]) for at in (text_at, vector_at) if chunk in at)
            for chunk in {*text_at, *vector_at}
        }
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [(c, s, text_at.get(c), vector_at.get(c)) for c, s in ordered]


async def vector_candidates(
    conn: AsyncConnection[DictRow],
    scope: dict[str, Any],
    vector: str,
    wanted: int,
    ef_search: int,
    sizes: tuple[int, int],
) -> list[tuple[int, float]]:
    """The `wanted` nearest chunks in scope (or all of them, if fewer); `sizes`: chunks in
    scope and in all."""
    scoped, total = sizes
    params = {**scope, "vector": vector, "limit": wanted}
    expected = min(wanted, scoped)
    # The filter keeps about scoped/total of what the index returns: widen the scan to match.
    needed = max(ef_search, wanted)
    if scoped < total:
        needed = math.ceil(needed * total / scoped * 1.2)
    if scoped > EXACT_SCAN_MAX and needed <= MAX_EF_SEARCH:
        async with conn.transaction():
            await conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(needed),))
            cursor = await conn.execute(HNSW_CANDIDATES, params)
            found = [(r["chunk_id"], float(r["similarity"])) for r in await cursor.fetchall()]
        if len(found) >= expected:
            return found
    cursor = await conn.execute(EXACT_CANDIDATES, params)
    return [(r["chunk_id"], float(r["similarity"])) for r in await cursor.fetchall()]
