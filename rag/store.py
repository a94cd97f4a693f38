"""Knowledge-base rows: documents and their chunks, always scoped by tenant."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from psycopg import AsyncConnection
from psycopg.adapt import Dumper
from psycopg.pq import Format
from psycopg.rows import DictRow

from rag.chunking import Chunk

COPY_CHUNKS = (
    "COPY kb_chunks (tenant_id, collection, document_id, position, title, heading_path, "
    "content, embedding) FROM STDIN (FORMAT BINARY)"
)
CHUNK_TYPES = ["text", "text", "uuid", "int4", "text", "text", "text"]

UPSERT_DOCUMENTS = """
INSERT INTO kb_documents (tenant_id, document_id, collection, source, title, media_type,
                          content_hash, byte_size, chunk_count)
SELECT tenant_id, gen_random_uuid(), collection, source, title, media_type, content_hash,
       byte_size, chunk_count
  FROM unnest(%(tenant_id)s::text[], %(collection)s::text[], %(source)s::text[],
              %(title)s::text[], %(media_type)s::text[], %(content_hash)s::text[],
              %(byte_size)s::bigint[], %(chunk_count)s::int[])
       AS given (tenant_id, collection, source, title, media_type, content_hash, byte_size,
                 chunk_count)
ON CONFLICT (tenant_id, collection, source) DO UPDATE
   SET title = EXCLUDED.title, media_type = EXCLUDED.media_type,
       content_hash = EXCLUDED.content_hash, byte_size = EXCLUDED.byte_size,
       chunk_count = EXCLUDED.chunk_count, updated_at = now()
RETURNING source, document_id
"""

LIST_DOCUMENTS = """
SELECT document_id, collection, source, title, media_type, content_hash, byte_size,
       chunk_count, created_at, updated_at
  FROM kb_documents
 WHERE tenant_id = %(tenant_id)s
   AND (%(collection)s::text IS NULL OR collection = %(collection)s)
 ORDER BY collection, source
 LIMIT %(limit)s
"""


@dataclass(frozen=True)
class StoredDocument:
    document_id: uuid.UUID
    collection: str
    source: str
    title: str
    media_type: str
    content_hash: str
    byte_size: int
    chunk_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class NewDocument:
    tenant_id: str
    collection: str
    source: str
    title: str
    media_type: str
    content_hash: str
    byte_size: int


async def stored_hashes(
    conn: AsyncConnection[DictRow], tenant_id: str, collection: str
) -> dict[str, tuple[uuid.UUID, str]]:
    """source -> (document id, content hash) for the collection's documents."""
    cursor = await conn.execute(
        "SELECT source, document_id, content_hash FROM kb_documents "
        "WHERE tenant_id = %s AND collection = %s",
        (tenant_id, collection),
    )
    return {r["source"]: (r["document_id"], r["content_hash"]) for r in await cursor.fetchall()}


async def total_chunks(conn: AsyncConnection[DictRow]) -> int:
    """Chunks of every tenant: the HNSW index's size."""
    cursor = await conn.execute("SELECT coalesce(sum(chunk_count), 0) AS n FROM kb_documents")
    row = await cursor.fetchone()
    return int(row["n"]) if row else 0


@dataclass(frozen=True)
class DocumentChunks:
    """A document to write, its chunks and their vectors (one row per chunk)."""

    document: NewDocument
    chunks: Sequence[Chunk]
    vectors: npt.NDArray[np.float32]


async def replace_documents(
    conn: AsyncConnection[DictRow], items: Sequence[DocumentChunks], vector_oid: int
) -> list[uuid.UUID]:
    """Insert the documents or update them in place (same ids), and replace all their
    chunks: one upsert, one delete, one COPY. Call inside a transaction: readers see a
    document's old chunks or its new ones, never a mix. Returns the ids in `items` order."""
    if not items:
        return []
    columns = ("tenant_id", "collection", "source", "title", "media_type", "content_hash")
    params: dict[str, list[Any]] = {
        name: [getattr(item.document, name) for item in items] for name in columns
    }
    params["byte_size"] = [item.document.byte_size for item in items]
    params["chunk_count"] = [len(item.chunks) for item in items]
    cursor = await conn.execute(UPSERT_DOCUMENTS, params)
    ids = {row["source"]: row["document_id"] for row in await cursor.fetchall()}
    document_ids = [ids[item.document.source] for item in items]
    await conn.execute("DELETE FROM kb_chunks WHERE document_id = ANY(%s)", (document_ids,))
    await copy_chunks(conn, list(zip(items, document_ids, strict=True)), vector_oid)
    return document_ids


async def copy_chunks(
    conn: AsyncConnection[DictRow],
    items: Sequence[tuple[DocumentChunks, uuid.UUID]],
    vector_oid: int,
) -> None:
    """Binary COPY: vectors go over the wire in pgvector's own binary format, not as text."""
    cursor = conn.cursor()
    cursor.adapters.register_dumper(PackedVector, packed_vector_dumper(vector_oid))
    async with cursor.copy(COPY_CHUNKS) as copy:
        copy.set_types([*CHUNK_TYPES, vector_oid])
        for item, document_id in items:
            document = item.document
            for chunk, vector in zip(item.chunks, pack_vectors(item.vectors), strict=True):
                await copy.write_row(
                    (
                        document.tenant_id,
                        document.collection,
                        document_id,
                        chunk.position,
                        document.title,
                        chunk.heading_path,
                        chunk.content,
                        vector,
                    )
                )


class PackedVector(bytes):
    """A vector already in pgvector's binary wire format."""


def pack_vectors(vectors: npt.NDArray[np.float32]) -> list[PackedVector]:
    """pgvector's binary form: int16 dimension, int16 unused, big-endian float4 values."""
    if vectors.size == 0:
        return []
    header = struct.pack(">HH", vectors.shape[1], 0)
    big_endian = np.ascontiguousarray(vectors, dtype=">f4")
    return [PackedVector(header + row.tobytes()) for row in big_endian]


def packed_vector_dumper(vector_oid: int) -> type[Dumper]:
    """A binary dumper for `PackedVector` declaring the database's `vector` type oid."""

    class PackedVectorDumper(Dumper):
        format = Format.BINARY
        oid = vector_oid

        def dump(self, obj: Any) -> bytes:
            return bytes(obj)

    return PackedVectorDumper


async def vector_type_oid(conn: AsyncConnection[DictRow]) -> int:
    cursor = await conn.execute("SELECT 'vector'::regtype::oid AS oid")
    row = await cursor.fetchone()
    assert row is not None
    return int(row["oid"])


async def list_documents(
    conn: AsyncConnection[DictRow],
    tenant_id: str,
    *,
    collection: str | None = None,
    limit: int = 1_000,
) -> list[StoredDocument]:
    cursor = await conn.execute(
        LIST_DOCUMENTS, {"tenant_id": tenant_id, "collection": collection, "limit": limit}
    )
    return [StoredDocument(**row) for row in await cursor.fetchall()]


async def delete_document(
    conn: AsyncConnection[DictRow], tenant_id: str, document: str
) -> list[uuid.UUID]:
    """Delete by document id, or by source (in every collection); returns what went."""
    try:
        by_id: uuid.UUID | None = uuid.UUID(document)
    except ValueError:
        by_id = None
    cursor = await conn.execute(
        "DELETE FROM kb_documents WHERE tenant_id = %s AND (document_id = %s OR source = %s) "
        "RETURNING document_id",
        (tenant_id, by_id, document),
    )
    return [row["document_id"] for row in await cursor.fetchall()]
