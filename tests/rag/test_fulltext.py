"""Full-text candidates: OR of the words, and common words left out on big tables."""

from __future__ import annotations

import pytest

from rag import fulltext
from rag.embedders import HashingEmbedder
from rag.fulltext import as_tsquery, without_common_words
from rag.ingest import SourceFile, ingest_files
from rag.search import search
from runtime.database import Pool
from tests.rag.support import add_tenant


def test_common_words_are_left_out_of_an_or_query() -> None:
    shares = {"order": 0.3, "ship": 0.2, "damag": 0.01}
    assert without_common_words("'order' | 'ship' | 'damag' | 'photo'", shares) == (
        "'damag' | 'photo'"
    )
    assert without_common_words("'order' | 'ship' | 'custom'", {**shares, "custom": 0.1}) == (
        "'custom' | 'ship'"
    )
    for kept in ("'order' & 'ship' & 'x'", "'order' <-> 'ship' | 'x'", "'order' | 'ship'"):
        assert without_common_words(kept, shares) == kept
    assert without_common_words("'order' | 'ship' | 'x'", {}) == "'order' | 'ship' | 'x'"


async def test_questions_become_or_queries_and_phrases_stay(pool: Pool) -> None:
    async with pool.connection() as conn:
        assert await as_tsquery(conn, "Can I return a damaged item?") == (
            "'return' | 'damag' | 'item'"
        )
        assert await as_tsquery(conn, '"damaged item" -glass') == ("'damag' <-> 'item' & !'glass'")
        assert await as_tsquery(conn, "the and of") == ""
        assert await as_tsquery(conn, "Which e-mail address gets invoices?") == (
            "'e-mail' <-> 'e' <-> 'mail' | 'address' | 'get' | 'invoic'"
        )
        assert await as_tsquery(conn, "invoices -draft") == "'invoic' & !'draft'"


async def test_on_a_big_table_a_common_word_no_longer_drags_in_every_chunk(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = "kb-fulltext"
    await add_tenant(pool, tenant)
    files = [
        SourceFile(f"note-{n}.md", f"# Note {n}\n\nEvery order note {n} mentions order.".encode())
        for n in range(60)
    ]
    files.append(SourceFile("rare.md", b"# Rare\n\nA rare zeppelin order."))
    await ingest_files(pool, tenant, files, embedder=HashingEmbedder())
    async with pool.connection() as conn:
        await conn.execute("ANALYZE kb_chunks")

    before = await search(pool, tenant, "order note zeppelin", k=50, mode="text")
    monkeypatch.setattr(fulltext, "PRUNE_FROM_CHUNKS", 1)
    after = await search(pool, tenant, "order note zeppelin", k=50, mode="text")

    # Ranked over every chunk, the common words bury the one passage with the rare word.
    assert len(before) == 50 and "rare.md" not in {hit.source for hit in before}
    assert [hit.source for hit in after] == ["rare.md"]
    assert "«order»" in after[0].snippet  # snippets still mark every word


def test_only_a_plain_or_of_words_is_ranked_among_pairs_first() -> None:
    assert fulltext.word_pairs("'a' | 'b' | 'c' | 'a'") == "'a' & 'b' | 'a' & 'c' | 'b' & 'c'"
    assert fulltext.word_pairs("'a'") is None
    for plain in ("'a'", "'a' | 'b'", "'don''t' | 'b'"):
        assert fulltext.PLAIN_OR.fullmatch(plain)
    for other in ("'a' & 'b'", "'a' <-> 'b' | 'c'", "'a':* | 'b'", "'a':A | 'b'", "!'a' | 'b'"):
        assert not fulltext.PLAIN_OR.fullmatch(other)


async def test_ranking_among_pairs_and_headings_gives_the_full_ranking(pool: Pool) -> None:
    tenant = "kb-bounded"
    await add_tenant(pool, tenant)
    filler = "The rest of this note is about something else entirely."
    files = [  # one chunk each: a word repeated in the text ranks high among single words
        *(
            SourceFile(
                f"single-{n}.md", f"# Note {n}\n\n{'zephyr ' * (n % 5 + 1)}{filler}".encode()
            )
            for n in range(25)
        ),
        *(
            SourceFile(f"pair-{n}.md", f"# Pair {n}\n\nA quokka met a marmot. {filler}".encode())
            for n in range(10)
        ),
        *(
            SourceFile(f"heading-{n}.md", f"# Marmot care {n}\n\n{filler}".encode())
            for n in range(5)
        ),
    ]
    await ingest_files(pool, tenant, files, embedder=HashingEmbedder())
    scope = {"tenant_id": tenant, "collection": None}
    async with pool.connection() as conn:
        tsquery = await as_tsquery(conn, "zephyr quokka marmot")
        pairs = fulltext.word_pairs(tsquery)

        async def ranked(query: str, **extra: object) -> list[tuple[int, float]]:
            cursor = await conn.execute(query, {**scope, "tsquery": tsquery, **extra})
            return [(r["chunk_id"], float(r["rank"])) for r in await cursor.fetchall()]

        # The bounded set: the 10 pairs and 5 headings, not the 25 single-word chunks.
        assert len(await ranked(fulltext.BOUNDED_CANDIDATES, pairs=pairs, limit=100)) == 15
        assert len(await ranked(fulltext.TEXT_CANDIDATES, limit=100)) == 40
        for wanted in (5, 15, 16, 40):  # 16 and 40: too few bounded rows, all are ranked
            full = await ranked(fulltext.TEXT_CANDIDATES, limit=wanted)
            assert await fulltext.text_candidates(conn, scope, tsquery, wanted, 40) == full
