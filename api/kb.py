"""The knowledge base over HTTP: search (operators, reviewers, admins), documents (admins
upload and delete; readers list). Every query is scoped by the key's tenant."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, with_config
from starlette.datastructures import UploadFile

from api.deps import AdminKey, ReaderKey, ResourcesDep
from api.errors import error_responses
from api.limits import larger_body
from rag.embedders import Embedder
from rag.index import EmbedderMismatchError
from rag.ingest import DEFAULT_COLLECTION, DocumentResult, SourceFile, ingest_files
from rag.loaders import media_type_of
from rag.search import Mode, SearchHit, cached_embedder, search
from rag.store import StoredDocument, delete_document, list_documents
from runtime.resources import Resources

UPLOAD_FIELD = "file"
MAX_FILES = 20
Collection = Annotated[str, Query(min_length=1, max_length=100, pattern=r"^[\w.-]+$")]


# The API's shapes are the rag records themselves, named for the API; fields with a default
# are still always sent, so the OpenAPI document marks them required.
@dataclass(frozen=True)
@with_config(json_schema_serialization_defaults_required=True)
class Hit(SearchHit):
    """A chunk: its document, where in it (heading path, position), and why it matched."""

    @classmethod
    def of(cls, hit: SearchHit) -> Hit:
        return cls(**asdict(hit))


class SearchAnswer(BaseModel):
    query: str
    mode: Mode
    hits: list[Hit]


@dataclass(frozen=True)
class DocumentView(StoredDocument):
    """A document of the knowledge base: where it came from, its size and its chunks."""

    @classmethod
    def of(cls, document: StoredDocument) -> DocumentView:
        return cls(**asdict(document))


@dataclass(frozen=True)
@with_config(json_schema_serialization_defaults_required=True)
class UploadResult(DocumentResult):
    """One uploaded file: added, updated (its chunks replaced), unchanged, or failed."""

    @classmethod
    def of(cls, result: DocumentResult) -> UploadResult:
        return cls(**asdict(result))


class UploadAnswer(BaseModel):
    collection: str
    results: list[UploadResult]


def configured_embedder(resources: Resources) -> Embedder:
    """The process's OPSGRAPH_EMBEDDER, built once per setting."""
    return cached_embedder(resources.settings.embedder)


def mismatch(error: EmbedderMismatchError) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, detail=str(error))


MULTIPART_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [UPLOAD_FIELD],
                    "properties": {
                        UPLOAD_FIELD: {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "Markdown, text, HTML or PDF files.",
                        }
                    },
                }
            }
        },
    }
}


def build_router(*, max_upload_bytes: int) -> APIRouter:
    """The routes; uploads may be up to `max_upload_bytes` (the whole multipart body)."""
    router = APIRouter(prefix="/kb", tags=["knowledge base"])

    @router.get("/search", response_model=SearchAnswer, responses=error_responses(409))
    async def search_knowledge_base(
        key: ReaderKey,
        resources: ResourcesDep,
        q: Annotated[str, Query(min_length=1, max_length=1_000)],
        k: Annotated[int, Query(ge=1, le=50)] = 5,
        mode: Mode = "hybrid",
        collection: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    ) -> SearchAnswer:
        """Hybrid (full text + vector, fused by reciprocal rank), text or vector search.
        409 when the configured embedder is not the one the index was built with."""
        try:
            hits = await search(
                resources.pool,
                key.tenant_id,
                q,
                k=k,
                mode=mode,
                collection=collection,
                embedder=configured_embedder(resources),
            )
        except EmbedderMismatchError as error:
            raise mismatch(error) from error
        return SearchAnswer(query=q, mode=mode, hits=[Hit.of(hit) for hit in hits])

    @router.get("/documents", response_model=list[DocumentView])
    async def read_documents(
        key: ReaderKey,
        resources: ResourcesDep,
        collection: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=1_000)] = 200,
    ) -> list[DocumentView]:
        """The tenant's documents, by collection and source."""
        async with resources.pool.connection() as conn:
            documents = await list_documents(
                conn, key.tenant_id, collection=collection, limit=limit
            )
        return [DocumentView.of(doc) for doc in documents]

    @router.post(
        "/documents",
        response_model=UploadAnswer,
        responses=error_responses(400, 409, 413, 415, 422),
        openapi_extra={**MULTIPART_BODY, **larger_body(max_upload_bytes)},
    )
    async def upload_documents(
        key: AdminKey,
        resources: ResourcesDep,
        request: Request,
        collection: Collection = DEFAULT_COLLECTION,
    ) -> UploadAnswer:
        """Ingest uploaded files (multipart field `file`, repeatable) through the same
        pipeline as `opsgraph kb ingest`. A file is known by its name: uploading it again
        unchanged is skipped, changed replaces its chunks. 415 for a type we cannot read
        (nothing is ingested); a file that does not parse is reported `failed`."""
        files = await read_uploads(request)
        try:
            summary = await ingest_files(
                resources.pool,
                key.tenant_id,
                files,
                collection=collection,
                embedder=configured_embedder(resources),
            )
        except EmbedderMismatchError as error:
            raise mismatch(error) from error
        return UploadAnswer(
            collection=collection, results=[UploadResult.of(r) for r in summary.results]
        )

    @router.delete(
        "/documents/{document_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        responses=error_responses(404),
    )
    async def delete_one_document(
        document_id: uuid.UUID, key: AdminKey, resources: ResourcesDep
    ) -> None:
        """Delete a document and its chunks."""
        async with resources.pool.connection() as conn:
            deleted = await delete_document(conn, key.tenant_id, str(document_id))
        if not deleted:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such document")

    return router


async def read_uploads(request: Request) -> list[SourceFile]:
    """The multipart files, read only now (after the key was checked), all of a readable
    type; the body's size is bounded by the BodyLimit middleware as it streams in."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=f"send the files as multipart/form-data in the field {UPLOAD_FIELD!r}",
        )
    # Starlette answers a malformed multipart body (or too many files) with 400 itself.
    form = await request.form(max_files=MAX_FILES, max_fields=10)
    uploads = [item for item in form.getlist(UPLOAD_FIELD) if isinstance(item, UploadFile)]
    if not uploads:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"no file in the multipart field {UPLOAD_FIELD!r}",
        )
    files: list[SourceFile] = []
    for upload in uploads:
        name = PurePath((upload.filename or "").replace("\\", "/")).name
        if not name or media_type_of(name) is None:
            raise HTTPException(
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                detail=f"{name or 'a file without a name'}: only .md, .txt, .html and .pdf "
                "files can be ingested; nothing was ingested",
            )
        files.append(SourceFile(f"upload/{name}", await upload.read()))
    await form.close()
    return files
