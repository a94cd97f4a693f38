"""Knowledge-base searches runs make as a tool call: a row per search, tallied at scrape.

A chat answer or a content draft searches the knowledge base inside a worker, which has no
endpoint; the search is timed there and stored in `kb_searches`, and the serving process
tallies the new rows at each scrape (`runtime.keyset_tally.KeysetTally`). Searches over HTTP
(`/kb/search`) are timed by the API process itself (`opsgraph_kb_search_seconds`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import Metric

from runtime.database import Pool
from runtime.histogram import TallyHistogram
from runtime.keyset_tally import KeysetTally
from runtime.model_calls import Outcome

SEARCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""As the HTTP search histogram's, so the two read side by side."""

INSERT_SQL = """
INSERT INTO kb_searches (tenant_id, outcome, seconds)
VALUES (%(tenant)s, %(outcome)s, %(seconds)s)
"""

NEW_SEARCHES_SQL = """
SELECT search_id AS row_id, recorded_at, outcome, seconds
  FROM kb_searches
 WHERE recorded_at < now() - make_interval(secs => %(settle_s)s)
   AND (recorded_at, search_id) > (%(after_at)s, %(after_id)s)
 ORDER BY recorded_at, search_id
 LIMIT %(batch)s
"""


async def record_kb_search(pool: Pool, *, tenant_id: str, outcome: Outcome, seconds: float) -> None:
    """Store one search's outcome and duration (not its query)."""
    async with pool.connection() as conn:
        await conn.execute(
            INSERT_SQL, {"tenant": tenant_id, "outcome": outcome, "seconds": max(seconds, 0.0)}
        )


class KbSearchTally(KeysetTally):
    """Search latency by outcome, for searches made inside runs."""

    sql = NEW_SEARCHES_SQL

    def __init__(self, *, settle_s: float = 2.0, batch: int = 5000) -> None:
        super().__init__(settle_s=settle_s, batch=batch)
        self.latency = TallyHistogram(SEARCH_BUCKETS)

    def add(self, row: dict[str, Any]) -> None:
        self.latency.observe(str(row["outcome"]), float(row["seconds"]))

    def families(self) -> Iterator[Metric]:
        yield self.latency.family(
            "opsgraph_kb_run_search_seconds",
            "Time a knowledge-base search made by a run (a tool call) took, by outcome.",
            "outcome",
        )
