"""Eval tests run `opsgraph eval run` in-process, each run on an event loop of its own
(`asyncio.run`). langchain-openai caches one async httpx client per base URL and timeout for
the process, bound to the loop that first used it, so a second model run reaching a server
on a reused port would fail its first request with "Event loop is closed". A real CLI run
is one process; these tests start each one with no cached client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_openai.chat_models import _client_utils


@pytest.fixture(autouse=True)
def fresh_openai_clients() -> Iterator[None]:
    _client_utils._cached_async_httpx_client.cache_clear()
    yield
    _client_utils._cached_async_httpx_client.cache_clear()
