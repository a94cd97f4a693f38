"""Hybrid search on the real embedded PostgreSQL: tenant scoping, filtered k, fusion."""

from __future__ import annotations

import pytest

from rag import search as search_module
from rag.embedders import HashingEmbedder
from rag.index import HNSW_EF_CONSTRUCTION, HNSW_INDEX, HNSW_M, vector_literal
from rag.ingest import SourceFile, ingest_files
from rag.search import SearchError, search
from runtime.database import Pool
from tests.rag.support import RETURNS_MD, SHIPPING_HTML, add_tenant

EMBEDDER = HashingEmbedder()
TOPICS = ("invoices", "carriers", "warranty", "loyalty", "gift cards", "sizes", "recycling")


def synthetic_document(number: int, sections: int = 10) -> str:
    """A Markdown document of `sections` distinct sections (one chunk each)."""
    parts = [f"# Handbook {number}"]
    for section in range(sections):
        topic = TOPICS[(number + section) % len(TOPICS)]
        parts.append(
            f"## Note {section} on {topic}\n\nEntry {number}-{section} about {topic}: "
            f"reference code H{number}S{section}, reviewed by team {number % 13}."
        )
    return "\n\n".join(parts)


async def ingest_texts(
    pool: Pool, tenant: str, documents: dict[str, str], *, collection: str = "default"
) -> None:
    await add_tenant(pool, tenant)
    files = [SourceFile(name, text.encode()) for name, text in documents.items()]
    summary = await ingest_files(pool, tenant, files, collection=collection, embedder=EMBEDDER)
    assert not summary.failed


@pytest.fixture(scope="module")
async def corpus(pool: Pool) -> None:
    """A big tenant (6,000 chunks) with a small collection; small tenants A and B."""
    big = {f"handbook-{n}.md": synthetic_document(n) for n in range(570)}
    await ingest_texts(pool, "kb-big", big)
    faq = {f"faq-{n}.md": synthetic_document(10_000 + n) for n in range(3)}
    await ingest_texts(pool, "kb-big", faq, collection="faq")
    mid = {f"mid-{n}.md": synthetic_document(20_000 + n) for n in range(150)}
    await ingest_texts(pool, "kb-mid", mid)
    await ingest_texts(pool, "kb-a", {"returns.md": RETURNS_MD, "shipping.html": SHIPPING_HTML})
    await ingest_texts(
        pool,
        "kb-b",
        {"returns.md": "# Returns\n\nTenant B takes no returns of damaged items at all."},
    )


async def exact_top(pool: Pool, tenant: str, query: str, k: int) -> list[int]:
    vector = vector_literal(EMBEDDER.embed_query(query))
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT chunk_id FROM kb_chunks WHERE tenant_id = %s "
            "ORDER BY embedding <=> %s::vector, chunk_id LIMIT %s",
            (tenant, vector, k),
        )
        return [row["chunk_id"] for row in await cursor.fetchall()]


@pytest.mark.usefixtures("corpus")
@pytest.mark.parametrize("mode", ["hybrid", "text", "vector"])
async def test_a_tenant_never_sees_another_tenants_documents(pool: Pool, mode: str) -> None:
    own = await search(pool, "kb-b", "damaged items returns", k=10, mode=mode)  # type: ignore[arg-type]
    assert [hit.source for hit in own] == ["returns.md"]
    for query in ("DHL carriers tracking", "invoices reference code", "shipping"):
        hits = await search(pool, "kb-b", query, k=10, mode=mode)  # type: ignore[arg-type]
        assert all(hit.source == "returns.md" and "Tenant B" in hit.content for hit in hits)
    a_hits = await search(pool, "kb-a", "damaged items", k=10, mode=mode)  # type: ignore[arg-type]
    assert a_hits and not any("Tenant B" in hit.content for hit in a_hits)
    assert await search(pool, "kb-nobody", "damaged items", mode=mode) == []  # type: ignore[arg-type]


@pytest.mark.usefixtures("corpus")
async def test_filtered_vector_search_still_returns_k_results(pool: Pool) -> None:
    """Unfiltered HNSW (ef_search 40) keeps only what survives the tenant filter afterwards;
    the small scopes here are 0.1% to 25% of all rows, and each still gets k results."""
    k = 10
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off")
        await conn.execute("SET LOCAL hnsw.ef_search = 40")
        vector = vector_literal(EMBEDDER.embed_query("damaged items returns"))
        cursor = await conn.execute(
            "SELECT chunk_id FROM (SELECT chunk_id, tenant_id FROM kb_chunks "
            "ORDER BY embedding <=> %s::vector LIMIT 40) ann WHERE tenant_id = 'kb-mid'",
            (vector,),
        )
        post_filtered = await cursor.fetchall()
    assert len(post_filtered) < k  # the problem: an HNSW scan, then the filter

    mid = await search(pool, "kb-mid", "invoices reference code", k=k, mode="vector")
    assert len(mid) == k
    assert all(hit.source.startswith("mid-") for hit in mid)

    faq = await search(pool, "kb-big", "warranty note", k=k, mode="vector", collection="faq")
    assert len(faq) == k
    assert {hit.collection for hit in faq} == {"faq"}

    small = await search(pool, "kb-a", "parcel", k=5, mode="vector")
    assert [hit.chunk_id for hit in small] == await exact_top(pool, "kb-a", "parcel", 5)


@pytest.mark.usefixtures("corpus")
async def test_a_widened_hnsw_scan_serves_a_mid_sized_scope(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the exact-scan size, the scan widens `ef_search` by the scope's share of rows
    (kb-mid is 1,500 of 7,500 chunks) and still returns k, close to the exact answer."""
    monkeypatch.setattr(search_module, "EXACT_SCAN_MAX", 100)
    hits = await search(pool, "kb-mid", "loyalty entry reviewed", k=10, mode="vector")
    assert len(hits) == 10
    exact = await exact_top(pool, "kb-mid", "loyalty entry reviewed", 10)
    assert len({hit.chunk_id for hit in hits} & set(exact)) >= 8


@pytest.mark.usefixtures("corpus")
async def test_the_hnsw_index_is_built_with_its_recorded_parameters(pool: Pool) -> None:
    """The corpus was bulk-loaded, so the index was dropped and built again afterwards."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT reloptions FROM pg_class WHERE relname = %s", (HNSW_INDEX,)
        )
        row = await cursor.fetchone()
    assert row is not None
    assert sorted(row["reloptions"]) == sorted(
        [f"m={HNSW_M}", f"ef_construction={HNSW_EF_CONSTRUCTION}"]
    )


@pytest.mark.usefixtures("corpus")
async def test_hybrid_answers_when_either_side_finds_nothing(pool: Pool) -> None:
    misspelt = "damagd packagng"
    assert await search(pool, "kb-a", misspelt, mode="text") == []
    fuzzy = await search(pool, "kb-a", misspelt, k=1)
    assert fuzzy[0].heading_path == "Returns > Damaged items"
    assert fuzzy[0].text_rank is None and fuzzy[0].vector_rank == 1

    exact = await search(pool, "kb-a", '"customs duties"', k=3)
    assert exact[0].heading_path == "Shipping > International"
    assert exact[0].text_rank == 1
    assert "«customs» «duties»" in exact[0].snippet


@pytest.mark.usefixtures("corpus")
async def test_hits_carry_where_they_come_from(pool: Pool) -> None:
    [hit] = await search(pool, "kb-a", "Which carriers do you ship with?", k=1)
    assert hit.title == "Shipping"
    assert hit.heading_path == "Shipping > Carriers"
    assert hit.source == "shipping.html"
    assert hit.collection == "default"
    assert hit.position == 1
    assert hit.snippet.startswith("«ship» with **DHL**")  # « » mark the query's words
    assert hit.score == pytest.approx(2 / 61)  # first in both lists
    assert hit.as_dict()["document_id"] == str(hit.document_id)


async def test_bad_arguments_are_refused(pool: Pool) -> None:
    with pytest.raises(SearchError):
        await search(pool, "default", "x", k=0)
    with pytest.raises(SearchError):
        await search(pool, "default", "x", mode="fuzzy")  # type: ignore[arg-type]
