"""The demo store's sample knowledge base and its labelled questions: every question points at
a section that ingestion really produces, and the benchmark's metrics count ranks right."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from bench.rag import (
    QUESTION_SETS,
    LabelledQuestion,
    hit_rate,
    load_questions,
    mean_reciprocal_rank,
    rank_of,
)
from rag.embedders import make_embedder
from rag.ingest import DEFAULT_COLLECTION
from rag.sample_pdf import PDF_PATH, render_pdf
from rag.samples import SAMPLE_KB_DIR, ingest_sample_kb, sample_files
from rag.search import search
from runtime.database import Pool
from tests.rag.support import add_tenant

TENANT = "sample-kb"
WORD = re.compile(r"[a-z0-9]+")


@pytest.fixture(scope="module")
async def ingested(pool: Pool) -> Pool:
    await add_tenant(pool, TENANT)
    summary = await ingest_sample_kb(pool, TENANT, embedder=make_embedder("hashing"))
    assert summary.failed == []
    return pool


async def stored_sections(pool: Pool) -> set[tuple[str, str]]:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT DISTINCT d.source, c.heading_path FROM kb_chunks c"
            " JOIN kb_documents d USING (document_id) WHERE c.tenant_id = %s",
            (TENANT,),
        )
        return {(row["source"], row["heading_path"]) for row in await cursor.fetchall()}


async def test_every_sample_file_is_ingested_under_its_relative_path(ingested: Pool) -> None:
    sources = {source for source, _ in await stored_sections(ingested)}
    expected = {
        path.relative_to(SAMPLE_KB_DIR).as_posix()
        for path in SAMPLE_KB_DIR.rglob("*")
        if path.is_file()
    }
    assert sources == expected
    assert {source.rsplit(".", 1)[-1] for source in sources} == {"md", "html", "pdf"}


async def test_every_labelled_question_names_an_ingested_section(ingested: Pool) -> None:
    sections = await stored_sections(ingested)
    questions = [q for path in QUESTION_SETS.values() for q in load_questions(path)]
    missing = [
        (q.expected_document, q.expected_heading)
        for q in questions
        if (q.expected_document, q.expected_heading) not in sections
    ]
    assert missing == []


async def test_the_pdf_and_html_keep_their_headings(ingested: Pool) -> None:
    sections = await stored_sections(ingested)
    assert (
        "operations/stock-and-reorders.pdf",
        "Stock and reorders > Reorder budget approval",
    ) in sections
    assert (
        "operations/integration-runbook.html",
        "Integration runbook > Dead letters > Transient failures",
    ) in sections


async def test_ingesting_again_skips_every_unchanged_file(ingested: Pool) -> None:
    again = await ingest_sample_kb(ingested, TENANT, embedder=make_embedder("hashing"))
    assert again.unchanged == len(sample_files()) and again.chunks == 0


async def test_hybrid_search_answers_an_operator_question_with_its_section(
    ingested: Pool,
) -> None:
    hits = await search(
        ingested,
        TENANT,
        "How long after delivery can a customer still return an item?",
        k=5,
        collection=DEFAULT_COLLECTION,
    )
    found = [(hit.source, hit.heading_path) for hit in hits]
    assert ("orders/returns-and-exchanges.md", "Returns and exchanges > Return window") in found


@pytest.mark.parametrize("question_set", sorted(QUESTION_SETS))
async def test_hybrid_fuses_the_text_and_vector_modes_own_lists(
    ingested: Pool, question_set: str
) -> None:
    """Hybrid's candidates are exactly the top 30 of what `text` and `vector` modes rank (same
    tsquery, same depth, joined on the chunk), fused by 1/(60 + rank): where hybrid trails both
    modes (the paraphrases), the cause is in the lists, not in how they meet."""
    depth = 30  # what a k=10 search fetches per side
    for question in load_questions(QUESTION_SETS[question_set]):
        lists = {
            mode: [
                hit.chunk_id
                for hit in await search(ingested, TENANT, question.question, k=depth, mode=mode)
            ]
            for mode in ("text", "vector")
        }
        rank_in = {
            mode: {chunk: at for at, chunk in enumerate(chunks, start=1)}
            for mode, chunks in lists.items()
        }
        fused = {
            chunk: sum(1 / (60 + ranks[chunk]) for ranks in rank_in.values() if chunk in ranks)
            for chunk in {*lists["text"], *lists["vector"]}
        }
        expected = sorted(fused, key=lambda chunk: (-fused[chunk], chunk))[:10]

        hybrid = await search(ingested, TENANT, question.question, k=10, mode="hybrid")
        assert [hit.chunk_id for hit in hybrid] == expected, question.question
        for hit in hybrid:
            assert hit.text_rank == rank_in["text"].get(hit.chunk_id)
            assert hit.vector_rank == rank_in["vector"].get(hit.chunk_id)
            assert hit.score == pytest.approx(fused[hit.chunk_id])


def test_the_labelled_questions_cover_every_document_in_their_own_words() -> None:
    questions = load_questions()
    assert len(questions) >= 60
    assert len({q.question for q in questions}) == len(questions)
    per_document = Counter(q.expected_document for q in questions)
    documents = {f.source for f in sample_files()}
    assert set(per_document) == documents
    assert min(per_document.values()) >= 3
    copied = [
        q.question
        for q in questions
        if set(WORD.findall(q.expected_heading.rsplit(" > ", 1)[-1].lower()))
        <= set(WORD.findall(q.question.lower()))
    ]
    assert len(copied) <= len(questions) // 10, copied


def test_the_shipped_pdf_is_what_its_generator_writes() -> None:
    assert PDF_PATH.read_bytes() == render_pdf()


def test_ranks_and_metrics() -> None:
    question = LabelledQuestion("q", "a.md", "A > B")
    sections = [("b.md", "A > B"), ("a.md", "A"), ("a.md", "A > B"), ("a.md", "A > B")]
    assert rank_of(question, sections) == 3
    assert rank_of(question, sections[:2]) is None
    ranks = [1, 3, None, 6]
    assert hit_rate(ranks, 5) == 0.5
    assert hit_rate(ranks, 10) == 0.75
    assert mean_reciprocal_rank(ranks, 10) == pytest.approx((1 + 1 / 3 + 1 / 6) / 4)
    assert mean_reciprocal_rank(ranks, 5) == pytest.approx((1 + 1 / 3) / 4)
