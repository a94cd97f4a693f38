"""Ingestion into the real embedded PostgreSQL: every file type, headings, skip and replace."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from rag import ingest as ingest_module
from rag.embedders import HashingEmbedder
from rag.ingest import ingest_paths
from rag.search import search
from runtime.database import Pool
from tests.rag.support import RETURNS_MD, add_tenant, write_sample_folder

TENANT = "kb-ingest"


async def chunk_rows(pool: Pool, tenant_id: str) -> list[dict[str, object]]:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT c.chunk_id, d.source, c.title, c.heading_path, c.position, c.content, "
            "vector_dims(c.embedding) AS dims "
            "FROM kb_chunks c JOIN kb_documents d USING (document_id) "
            "WHERE c.tenant_id = %s ORDER BY d.source, c.position",
            (tenant_id,),
        )
        return list(await cursor.fetchall())


async def test_a_folder_of_markdown_html_pdf_and_text_is_ingested(
    pool: Pool, tmp_path: Path
) -> None:
    await add_tenant(pool, TENANT)
    folder = write_sample_folder(tmp_path / "kb")

    summary = await ingest_paths(pool, TENANT, [folder], embedder=HashingEmbedder())

    assert summary.added == 4 and not summary.failed
    rows = await chunk_rows(pool, TENANT)
    by_source: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        by_source.setdefault(str(row["source"]).removeprefix(folder.as_posix() + "/"), []).append(
            row
        )
    assert set(by_source) == {"policies/returns.md", "shipping.html", "fraud.pdf", "notes.txt"}
    assert {r["dims"] for r in rows} == {512}

    returns = by_source["policies/returns.md"]
    assert [r["heading_path"] for r in returns] == [
        "Returns",
        "Returns > Damaged items",
        "Returns > Exchanges",
    ]
    assert {r["title"] for r in returns} == {"Returns and exchanges"}
    assert "photo of the damage" in str(returns[1]["content"])
    assert [r["position"] for r in returns] == [0, 1, 2]

    shipping = by_source["shipping.html"]
    assert [r["heading_path"] for r in shipping] == [
        "Shipping",
        "Shipping > Carriers",
        "Shipping > International",
    ]
    assert "DHL" in str(shipping[1]["content"])
    assert not any("ignored" in str(r["content"]) or "Home" in str(r["content"]) for r in shipping)

    fraud = by_source["fraud.pdf"]
    assert [r["heading_path"] for r in fraud] == ["Page 1", "Page 2"]
    assert fraud[0]["title"] == "Fraud review"
    assert "risk score of 70" in str(fraud[0]["content"])

    hits = await search(pool, TENANT, "damaged item photo", k=1)
    assert hits[0].heading_path == "Returns > Damaged items"
    assert hits[0].source.endswith("policies/returns.md")


async def test_unchanged_files_are_skipped_and_an_edited_file_replaces_its_chunks(
    pool: Pool, tmp_path: Path
) -> None:
    tenant = "kb-reingest"
    await add_tenant(pool, tenant)
    folder = write_sample_folder(tmp_path / "kb")
    embedder = HashingEmbedder()
    first = await ingest_paths(pool, tenant, [folder], embedder=embedder)
    before = await chunk_rows(pool, tenant)

    again = await ingest_paths(pool, tenant, [folder], embedder=embedder)
    assert (again.added, again.updated, again.unchanged, again.chunks) == (0, 0, 4, 0)
    assert await chunk_rows(pool, tenant) == before

    edited = RETURNS_MD.replace("within 14 days", "within 21 days").replace(
        "## Exchanges\n\nExchanges for another size or colour are free once per order.\n", ""
    )
    (folder / "policies" / "returns.md").write_text(edited, encoding="utf-8")
    third = await ingest_paths(pool, tenant, [folder], embedder=embedder)

    assert (third.added, third.updated, third.unchanged) == (0, 1, 3)
    after = await chunk_rows(pool, tenant)
    returns = [r for r in after if str(r["source"]).endswith("returns.md")]
    assert [r["heading_path"] for r in returns] == ["Returns", "Returns > Damaged items"]
    assert "within 21 days" in str(returns[1]["content"])
    assert not any("within 14 days" in str(r["content"]) for r in after)
    document_ids = {r.source: r.document_id for r in first.results}
    assert {r.source: r.document_id for r in third.results} == document_ids


HNSW_EXISTS = "SELECT to_regclass('kb_chunks_embedding_hnsw') IS NOT NULL AS present"


class IndexWatcher:
    """Progress that looks, as each file lands, whether the HNSW index is there."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.seen: list[bool] = []

    def files_found(self, total: int) -> None:
        pass

    def file_done(self, source: str, outcome: str, chunks: int) -> None:  # noqa: ARG002
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(HNSW_EXISTS).fetchone()
        self.seen.append(bool(row and row[0]))

    def chunks_embedded(self, count: int) -> None:
        pass


async def test_a_big_load_builds_the_hnsw_index_once_afterwards(
    pool: Pool, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "BULK_MIN_CHUNKS", 1)
    monkeypatch.setattr(ingest_module, "BULK_SHARE", 0.0)
    tenant = "kb-bulk"
    await add_tenant(pool, tenant)
    watcher = IndexWatcher(database_url)

    summary = await ingest_paths(
        pool,
        tenant,
        [write_sample_folder(tmp_path / "kb")],
        embedder=HashingEmbedder(),
        progress=watcher,
    )

    assert summary.added == 4
    assert watcher.seen == [False] * 4  # no row-by-row HNSW upkeep during the load
    async with pool.connection() as conn:
        row = await (await conn.execute(HNSW_EXISTS)).fetchone()
    assert row is not None and row["present"]
    [hit] = await search(pool, tenant, "damaged item photo", k=1, mode="vector")
    assert hit.heading_path == "Returns > Damaged items"
