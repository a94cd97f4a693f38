"""A pool on the module's fresh database, for knowledge-base tests that need no app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from runtime.database import Pool, open_pool


@pytest.fixture(scope="module")
async def pool(database_url: str) -> AsyncIterator[Pool]:
    async with open_pool(database_url, min_size=1, max_size=4) as opened:
        yield opened
