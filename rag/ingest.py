"""Ingestion: files and folders -> documents -> heading-aware chunks -> embeddings -> rows.

A document is identified by (tenant, collection, source); its content hash decides whether a
re-ingestion is skipped (unchanged) or replaces its chunks (edited). Embedding runs in
batches across documents; each document is written in its own transaction with a binary COPY.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from rag.chunking import CHUNK_CHARS, Chunk, chunk_document, embedding_text
from rag.embedders import Embedder, FloatMatrix
from rag.index import INDEX_LOCK_ID, bulk_load, check_embedder, ensure_index, index_info
from rag.loaders import UnsupportedDocumentError, load_document, media_type_of
from rag.store import (
    DocumentChunks,
    NewDocument,
    replace_documents,
    stored_hashes,
    total_chunks,
    vector_type_oid,
)
from runtime.database import Pool

DEFAULT_COLLECTION = "default"
EMBED_BATCH = 512
BULK_MIN_CHUNKS = 2_000
BULK_SHARE = 0.5
"""A load of at least this many chunks, and this share of the table, builds HNSW afterwards:
pgvector inserts into an HNSW graph row by row ~15x slower than it builds one."""

Outcome = Literal["added", "updated", "unchanged", "failed"]


class IngestProgress(Protocol):
    """What a progress display hears about (the CLI draws bars from it)."""

    def files_found(self, total: int) -> None: ...

    def file_done(self, source: str, outcome: Outcome, chunks: int) -> None: ...

    def chunks_embedded(self, count: int) -> None: ...


@dataclass(frozen=True)
class DocumentResult:
    source: str
    outcome: Outcome
    document_id: uuid.UUID | None = None
    chunks: int = 0
    reason: str | None = None


@dataclass
class IngestSummary:
    results: list[DocumentResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(result.outcome == outcome for result in self.results)

    @property
    def added(self) -> int:
        return self.count("added")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def failed(self) -> list[DocumentResult]:
        return [result for result in self.results if result.outcome == "failed"]

    @property
    def chunks(self) -> int:
        """Chunks written (unchanged documents write none)."""
        return sum(r.chunks for r in self.results if r.outcome in ("added", "updated"))


@dataclass(frozen=True)
class SourceFile:
    """Bytes to ingest and the name they are stored under."""

    source: str
    data: bytes
    media_type: str | None = None


@dataclass
class Pending:
    """A parsed document waiting for its embeddings."""

    document: NewDocument
    chunks: list[Chunk]
    existed: bool


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Files under `paths` (folders recursively, hidden entries skipped) that we can read;
    a file named explicitly is kept even if its type is unknown, so it is reported."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for folder, subfolders, files in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and media_type_of(name):
                        found.append(Path(folder) / name)
        else:
            found.append(path)
    return found


def source_name(path: Path) -> str:
    """How a file is known in the knowledge base: its path as given, normalised."""
    return Path(os.path.normpath(path)).as_posix()


async def ingest_paths(
    pool: Pool,
    tenant_id: str,
    paths: Sequence[str | Path],
    *,
    collection: str = DEFAULT_COLLECTION,
    embedder: Embedder,
    progress: IngestProgress | None = None,
) -> IngestSummary:
    """Ingest files and folders (Markdown, text, HTML, PDF) into `tenant_id`'s knowledge base."""
    files = discover(paths)
    if progress is not None:
        progress.files_found(len(files))

    def read(path: Path) -> SourceFile | DocumentResult:
        try:
            return SourceFile(source_name(path), path.read_bytes())
        except OSError as error:
            return DocumentResult(source_name(path), "failed", reason=error.strerror or str(error))

    return await ingest_files(
        pool,
        tenant_id,
        (read(path) for path in files),
        collection=collection,
        embedder=embedder,
        progress=progress,
    )


async def ingest_files(
    pool: Pool,
    tenant_id: str,
    files: Iterable[SourceFile | DocumentResult],
    *,
    collection: str = DEFAULT_COLLECTION,
    embedder: Embedder,
    progress: IngestProgress | None = None,
) -> IngestSummary:
    """The pipeline for files already read (an upload, or `ingest_paths`); a DocumentResult
    in `files` is a file that could not be read, reported as it is.

    Unchanged files are sorted out first (one query for the collection's hashes); if what
    is left is a big load for the table, the HNSW index is built once afterwards instead of
    row by row (`bulk_load`).
    """
    async with pool.connection() as conn:
        async with conn.transaction():
            await ensure_index(conn, embedder)
        vector_oid = await vector_type_oid(conn)
        stored = await stored_hashes(conn, tenant_id, collection)
        existing = await total_chunks(conn)
    summary = IngestSummary()
    pending: list[Pending] = []

    def report(result: DocumentResult) -> None:
        summary.results.append(result)
        if progress is not None:
            progress.file_done(result.source, result.outcome, result.chunks)

    async def flush() -> None:
        for result in await write_pending(pool, pending, embedder, vector_oid, progress):
            report(result)
        pending.clear()

    changed: list[tuple[SourceFile, str]] = []
    seen: set[str] = set()
    for item in files:
        if isinstance(item, DocumentResult):
            report(item)
            continue
        if item.source in seen:  # named twice (a folder and a file in it): once is enough
            continue
        seen.add(item.source)
        content_hash = hashlib.sha256(item.data).hexdigest()
        known = stored.get(item.source)
        if known is not None and known[1] == content_hash:
            report(DocumentResult(item.source, "unchanged", known[0]))
        else:
            changed.append((item, content_hash))
    expected = sum(len(item.data) for item, _ in changed) // CHUNK_CHARS
    bulk = expected >= BULK_MIN_CHUNKS and expected >= existing * BULK_SHARE
    async with bulk_load(pool, embedder) if bulk else nullcontext():
        for item, content_hash in changed:
            try:
                loaded = load_document(item.source, item.data, item.media_type)
            except UnsupportedDocumentError as error:
                report(DocumentResult(item.source, "failed", reason=str(error)))
                continue
            document = NewDocument(
                tenant_id=tenant_id,
                collection=collection,
                source=item.source,
                title=loaded.title[:500],
                media_type=loaded.media_type,
                content_hash=content_hash,
                byte_size=len(item.data),
            )
            pending.append(Pending(document, chunk_document(loaded), item.source in stored))
            if sum(len(p.chunks) for p in pending) >= EMBED_BATCH:
                await flush()
        await flush()
    return summary


async def embed_chunks(
    embedder: Embedder, title_chunks: Sequence[tuple[str, Chunk]]
) -> FloatMatrix:
    """Embed in batches, off the event loop (a model or a big batch takes a while)."""
    texts = [embedding_text(title, c.heading_path, c.content) for title, c in title_chunks]
    parts: list[FloatMatrix] = []
    for start in range(0, len(texts), EMBED_BATCH):
        batch = texts[start : start + EMBED_BATCH]
        parts.append(await asyncio.to_thread(embed_matrix, embedder, batch))
    if not parts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return np.concatenate(parts)


def embed_matrix(embedder: Embedder, texts: Sequence[str]) -> FloatMatrix:
    direct = getattr(embedder, "embed_matrix", None)
    if callable(direct):
        matrix: FloatMatrix = direct(texts)
        return matrix
    return np.asarray(embedder.embed_documents(texts), dtype=np.float32)


async def write_pending(
    pool: Pool,
    pending: Sequence[Pending],
    embedder: Embedder,
    vector_oid: int,
    progress: IngestProgress | None,
) -> list[DocumentResult]:
    """Embed the pending documents' chunks together, then write them in one transaction."""
    if not pending:
        return []
    vectors = await embed_chunks(
        embedder, [(p.document.title, chunk) for p in pending for chunk in p.chunks]
    )
    if progress is not None:
        progress.chunks_embedded(len(vectors))
    items: list[DocumentChunks] = []
    offset = 0
    for item in pending:
        items.append(
            DocumentChunks(item.document, item.chunks, vectors[offset : offset + len(item.chunks)])
        )
        offset += len(item.chunks)
    async with pool.connection() as conn, conn.transaction():
        # Shared with other writers, exclusive with a reindex: the vectors we write belong
        # to the index as it is when they land.
        await conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (INDEX_LOCK_ID,))
        check_embedder(await index_info(conn), embedder)
        document_ids = await replace_documents(conn, items, vector_oid)
    return [
        DocumentResult(
            item.document.source,
            "updated" if item.existed else "added",
            document_id,
            len(item.chunks),
        )
        for item, document_id in zip(pending, document_ids, strict=True)
    ]
