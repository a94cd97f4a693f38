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

FIND_DOCUMENT = """
SELECT document_id, content_hash FROM kb_documents
 WHERE tenant_id = %s AND collection = %s AND source = %s
"""

UPSERT_DOCUMENT = """
INSERT INTO kb_documents (tenant_id, document_id, collection, source, title, media_type,
                          content_hash, byte_size, chunk_count)
VALUES (%(tenant_id)s, %(document_id)s, %(collection)s, %(source)s, %(title)s,
        %(media_type)s, %(content_hash)s, %(byte_size)s, %(chunk_count)s)
ON CONFLICT (tenant_id, collection, source) DO UPDATE
   SET title = EXCLUDED.title, media_type = EXCLUDED.media_type,
       content_hash = EXCLUDED.content_hash, byte_size = EXCLUDED.byte_size,
       chunk_count = EXCLUDED.chunk_count, updated_at = now()
RETURNING document_id
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


async def find_document(
    conn: AsyncConnection[DictRow], tenant_id: str, collection: str, source: str
) -> tuple[uuid.UUID, str] | None:
    """(document id, content hash) of the stored document from `source`, if any."""
    cursor = await conn.execute(FIND_DOCUMENT, (tenant_id, collection, source))
    row = await cursor.fetchone()
    return None if row is None else (row["document_id"], row["content_hash"])


async def replace_document(
    conn: AsyncConnection[DictRow],
    document: NewDocument,
    chunks: Sequence[Chunk],
    vectors: npt.NDArray[np.float32],
    vector_oid: int,
) -> uuid.UUID:
    """Insert the document or update it in place (same id), and replace all its chunks.
    Call inside a transaction: readers see the old chunks or the new ones, never a mix."""
    cursor = await conn.execute(
        UPSERT_DOCUMENT,
        {**document.__dict__, "document_id": uuid.uuid4(), "chunk_count": len(chunks)},
    )
    row = await cursor.fetchone()
    assert row is not None
    document_id: uuid.UUID = row["document_id"]
    await conn.execute("DELETE FROM kb_chunks WHERE document_id = %s", (document_id,))
    await copy_chunks(conn, document, document_id, chunks, vectors, vector_oid)
    return document_id


async def copy_chunks(
    conn: AsyncConnection[DictRow],
    document: NewDocument,
    document_id: uuid.UUID,
    chunks: Sequence[Chunk],
    vectors: npt.NDArray[np.float32],
    vector_oid: int,
) -> None:
    """Binary COPY: vectors go over the wire as pgvector's own binary format, not as text."""
    packed = pack_vectors(vectors)
    cursor = conn.cursor()
    cursor.adapters.register_dumper(PackedVector, packed_vector_dumper(vector_oid))
    async with cursor.copy(COPY_CHUNKS) as copy:
        copy.set_types([*CHUNK_TYPES, vector_oid])
        for chunk, vector in zip(chunks, packed, strict=True):
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
