"""The sample knowledge base for chat cases: ingested once into the run's template tenant,
copied into each chat case's tenant.

Knowledge-base search is scoped to the chat's tenant (the tool reads `env.tenant_id`), so a
shared read-only tenant would need the tool to search another tenant than the one it acts
for; copying keeps the production path as it is. Ingesting `rag/sample_kb/` (parsing a PDF
and HTML, chunking, embedding) costs about a second; copying its rows inside the server is
two statements of a few milliseconds, so it is done once per run and copied per chat case.
The embedder is the one the database's index records (every stored vector lives in one
space), or the offline `hashing` embedder for a fresh database.
"""

from __future__ import annotations

from rag.embedders import Embedder, HashingEmbedder
from rag.index import index_info
from rag.samples import ingest_sample_kb
from rag.search import cached_embedder
from runtime.database import Pool

COPY_KB = (
    "INSERT INTO kb_documents (tenant_id, document_id, collection, source, title, media_type,"
    " content_hash, byte_size, chunk_count)"
    " SELECT %(to)s, md5(%(to)s || document_id::text)::uuid, collection, source, title,"
    " media_type, content_hash, byte_size, chunk_count"
    " FROM kb_documents WHERE tenant_id = %(from)s",
    "INSERT INTO kb_chunks (tenant_id, collection, document_id, position, title, heading_path,"
    " content, embedding)"
    " SELECT %(to)s, collection, md5(%(to)s || document_id::text)::uuid, position, title,"
    " heading_path, content, embedding FROM kb_chunks WHERE tenant_id = %(from)s",
)


async def run_embedder(pool: Pool) -> Embedder:
    async with pool.connection() as conn:
        info = await index_info(conn)
    return cached_embedder(info.embedder) if info is not None else HashingEmbedder()


async def ingest_template_kb(pool: Pool, template: str) -> int:
    """The sample knowledge base in the template tenant; how many chunks it holds."""
    summary = await ingest_sample_kb(pool, template, embedder=await run_embedder(pool))
    return sum(result.chunks for result in summary.results)


async def copy_kb(pool: Pool, tenant_id: str, *, template: str) -> None:
    """The template's knowledge base, copied into the case's tenant (new document ids)."""
    async with pool.connection() as conn, conn.transaction():
        for statement in COPY_KB:
            await conn.execute(statement, {"to": tenant_id, "from": template})
