"""The full-text side of search: the query as a tsquery, and ranked candidates.

websearch_to_tsquery ANDs the words; a question rarely repeats every word of the passage
that answers it, so a plain word list is ORed (ts_rank still prefers passages with more of
them). Queries with phrases or exclusions ("..." or -word) keep the operator's meaning; a
hyphenated word ("e-mail") is a phrase inside the OR, not a reason to keep the AND.

Ranking reads the tsvector of every matching row, so an OR of common words costs a pass over
much of a large table. From `PRUNE_FROM_CHUNKS` chunks on, words found in more than
`COMMON_SHARE` of the rows (PostgreSQL's own statistics for the column, `pg_stats`) are left
out of the candidate query, as a document-frequency stopword list would; the rarest two stay
if every word is common. Snippets still mark every word of the query.

Even pruned, an OR of words can match thousands of rows. For such a plain OR, `ts_rank`
(default weights: heading A 1.0, title B 0.4, content D 0.1) gives each query word a row holds
between w/1.645 and w, w its best weight there, and divides by the number of words. A row with
two of the words (at least 2 x 0.061) or one in its heading or title (at least 0.243) therefore
always outranks a row with a single word in its content only (below 0.1). So the candidates
are first ranked among the rows holding a pair of the words or a word in the heading or
title (two GIN lookups, `BOUNDED_CANDIDATES`); only when fewer than the wanted number come
back are all matching rows ranked. The result is the same, with far fewer rows read.
"""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

PRUNE_FROM_CHUNKS = 20_000
COMMON_SHARE = 0.05
KEEP_RAREST = 2
FREQUENCIES_TTL_S = 60.0
LEXEME = re.compile(r"'((?:[^']|'')+)'")
OPERATOR_SYNTAX = re.compile(r'"|(?:^|\s)-\w')
"""A quoted phrase or a leading-minus exclusion: websearch syntax the operator meant."""

TSQUERY = """
WITH typed AS (SELECT websearch_to_tsquery('english', %(query)s) AS strict)
SELECT CASE WHEN %(keep)s OR strict::text = '' THEN strict
            ELSE replace(strict::text, ' & ', ' | ')::tsquery END AS query
  FROM typed
"""

TEXT_CANDIDATES = """
SELECT chunk_id, ts_rank(search_text, %(tsquery)s::tsquery) AS rank
  FROM kb_chunks
 WHERE tenant_id = %(tenant_id)s
   AND (%(collection)s::text IS NULL OR collection = %(collection)s)
   AND search_text @@ %(tsquery)s::tsquery
 ORDER BY rank DESC, chunk_id
 LIMIT %(limit)s
"""

# The heading-and-title expression is the one migration 0023 indexes (rag.index names it).
BOUNDED_CANDIDATES = """
SELECT chunk_id, ts_rank(search_text, %(tsquery)s::tsquery) AS rank
  FROM kb_chunks
 WHERE tenant_id = %(tenant_id)s
   AND (%(collection)s::text IS NULL OR collection = %(collection)s)
   AND (search_text @@ %(pairs)s::tsquery  -- NULL (one word): no pair rows
        OR to_tsvector('english'::regconfig, heading_path || ' ' || title)
           @@ %(tsquery)s::tsquery)
 ORDER BY rank DESC, chunk_id
 LIMIT %(limit)s
"""
PLAIN_OR = re.compile(r"'(?:[^']|'')+'(?: \| '(?:[^']|'')+')*")
"""A tsquery that is only an OR of plain lexemes (no phrase, prefix, weight, AND or NOT)."""

LEXEME_FREQUENCIES = """
SELECT most_common_elems::text::text[] AS lexemes, most_common_elem_freqs AS freqs
  FROM pg_stats
 WHERE schemaname = current_schema() AND tablename = 'kb_chunks' AND attname = 'search_text'
"""


async def as_tsquery(conn: AsyncConnection[DictRow], query: str) -> str:
    """The query as tsquery text ('' when it has no words that count)."""
    keep = OPERATOR_SYNTAX.search(query) is not None
    cursor = await conn.execute(TSQUERY, {"query": query, "keep": keep})
    row = await cursor.fetchone()
    return str(row["query"]) if row else ""


async def text_candidates(
    conn: AsyncConnection[DictRow],
    scope: dict[str, Any],
    tsquery: str,
    wanted: int,
    total_chunks: int,
) -> list[tuple[int, float]]:
    """(chunk id, ts_rank), best first."""
    if total_chunks >= PRUNE_FROM_CHUNKS:
        tsquery = without_common_words(tsquery, await lexeme_frequencies(conn))
    params = {**scope, "tsquery": tsquery, "limit": wanted}
    if PLAIN_OR.fullmatch(tsquery):
        cursor = await conn.execute(BOUNDED_CANDIDATES, {**params, "pairs": word_pairs(tsquery)})
        found = [(r["chunk_id"], float(r["rank"])) for r in await cursor.fetchall()]
        if len(found) >= wanted:
            return found
    cursor = await conn.execute(TEXT_CANDIDATES, params)
    return [(r["chunk_id"], float(r["rank"])) for r in await cursor.fetchall()]


def word_pairs(tsquery: str) -> str | None:
    """Every pair of a plain OR's lexemes ANDed, ORed (None for a single word: no row holds
    a pair of it, so only its heading and title matches are bounded candidates)."""
    lexemes = list(dict.fromkeys(LEXEME.findall(tsquery)))
    if len(lexemes) < 2:
        return None
    return " | ".join(f"'{a}' & '{b}'" for a, b in itertools.combinations(lexemes, 2))


_frequencies: dict[tuple[str, str, str], tuple[float, dict[str, float]]] = {}


async def lexeme_frequencies(conn: AsyncConnection[DictRow]) -> dict[str, float]:
    """Share of rows holding each frequent lexeme, from the last ANALYZE (empty before).
    Statistics change only with ANALYZE, so they are read at most once a minute per
    database rather than on every query."""
    key = (conn.info.host, str(conn.info.port), conn.info.dbname)
    cached = _frequencies.get(key)
    if cached is not None and time.monotonic() - cached[0] < FREQUENCIES_TTL_S:
        return cached[1]
    cursor = await conn.execute(LEXEME_FREQUENCIES)
    row = await cursor.fetchone()
    found = (
        {}
        if row is None or not row["lexemes"]
        else dict(zip(row["lexemes"], row["freqs"], strict=False))
    )
    if found:  # none yet: the table has not been analysed, so ask again next time
        _frequencies[key] = (time.monotonic(), found)
    return found


def forget_frequencies() -> None:
    """Drop the cached statistics (after a bulk load and its ANALYZE)."""
    _frequencies.clear()


def without_common_words(tsquery: str, frequencies: dict[str, float]) -> str:
    """An OR of lexemes minus the common ones (other queries are left as they are)."""
    if not frequencies or any(op in tsquery for op in ("&", "!", "<")):
        return tsquery
    lexemes = list(dict.fromkeys(LEXEME.findall(tsquery)))
    if len(lexemes) <= KEEP_RAREST:
        return tsquery

    def share(lexeme: str) -> float:
        return frequencies.get(lexeme.replace("''", "'"), 0.0)

    kept = [lexeme for lexeme in lexemes if share(lexeme) <= COMMON_SHARE]
    if not kept:
        kept = sorted(lexemes, key=share)[:KEEP_RAREST]
    return " | ".join(f"'{lexeme}'" for lexeme in kept)
