"""A tally kept up to date a batch of recorded rows at a time, behind a keyset cursor.

The serving process counts rows that workers write (finished events, model calls, searches
made by runs) without re-reading them: each scrape reads the rows after the last one read,
at most `batch` of them, each once it is `settle_s` old, since its timestamp is its
transaction's start time and a row committed a moment later than one already read could
otherwise fall behind the cursor.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, ClassVar

from runtime.database import Pool

EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


class KeysetTally:
    """Reads the rows `sql` returns after the last one read, a batch per scrape, and hands
    each to `add`. `sql` takes `settle_s`, `after_at`, `after_id`, `batch` and selects the
    two `key_columns` (a timestamp, then a unique id), ordered by both."""

    sql: ClassVar[str] = ""
    key_columns: ClassVar[tuple[str, str]] = ("recorded_at", "row_id")
    first_id: ClassVar[object] = 0
    """Below every id, so the first scrape starts at the beginning."""

    def __init__(self, *, settle_s: float = 2.0, batch: int = 5000) -> None:
        self.settle_s = settle_s
        self.batch = batch
        self.after: tuple[datetime, object] = (EPOCH, self.first_id)
        self.lock = asyncio.Lock()

    async def advance(self, pool: Pool) -> int:
        """Count the next batch of recorded rows; how many were read."""
        at_column, id_column = self.key_columns
        async with self.lock, pool.connection() as conn:
            cursor = await conn.execute(
                self.sql,
                {
                    "settle_s": self.settle_s,
                    "after_at": self.after[0],
                    "after_id": self.after[1],
                    "batch": self.batch,
                },
            )
            rows = await cursor.fetchall()
            for row in rows:
                self.add(row)
            if rows:
                self.after = (rows[-1][at_column], rows[-1][id_column])
            return len(rows)

    def add(self, row: dict[str, Any]) -> None:
        raise NotImplementedError
