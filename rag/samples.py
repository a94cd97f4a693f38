"""The sample knowledge base of the demo store (`rag/sample_kb/`): what `make demo` ingests,
what the labelled questions in `evals/kb_questions.jsonl` are about, and what `bench.rag`
scores retrieval on.

Documents are stored under their path relative to `sample_kb/` (`orders/shipping.md`), so
their sources are the same wherever the project is checked out.
"""

from __future__ import annotations

from pathlib import Path

from rag.embedders import Embedder
from rag.ingest import (
    DEFAULT_COLLECTION,
    IngestProgress,
    IngestSummary,
    SourceFile,
    discover,
    ingest_files,
)
from runtime.database import Pool

SAMPLE_KB_DIR = Path(__file__).resolve().parent / "sample_kb"


def sample_files(root: Path = SAMPLE_KB_DIR) -> list[SourceFile]:
    """Every readable file of the sample knowledge base, named relative to its folder."""
    return [
        SourceFile(path.relative_to(root).as_posix(), path.read_bytes())
        for path in discover([root])
    ]


async def ingest_sample_kb(
    pool: Pool,
    tenant_id: str,
    *,
    embedder: Embedder,
    collection: str = DEFAULT_COLLECTION,
    progress: IngestProgress | None = None,
) -> IngestSummary:
    """Ingest the sample knowledge base; unchanged files are skipped, so re-runs are cheap."""
    return await ingest_files(
        pool,
        tenant_id,
        sample_files(),
        collection=collection,
        embedder=embedder,
        progress=progress,
    )
