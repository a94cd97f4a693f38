"""Chat tests: the sample knowledge base ingested into the module's database."""

from __future__ import annotations

import pytest

from rag.embedders import HashingEmbedder
from rag.samples import ingest_sample_kb
from runtime.resources import Resources


@pytest.fixture(scope="module")
async def sample_kb(resources: Resources) -> None:
    """`rag/sample_kb/` for the default tenant, as `make demo` ingests it."""
    await ingest_sample_kb(resources.pool, "default", embedder=HashingEmbedder())
