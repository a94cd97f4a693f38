"""Documentation the knowledge base was never tuned on: a public product's Markdown docs
already on this machine (Node.js's API reference, shipped by Debian's `nodejs` package),
ingested into a scratch tenant with the default `hashing` embedder, then asked "where is X
documented?" questions.

Run: `python -m bench.rag_foreign [FOLDER]`. It prints, per question, the rank of the first
hit in the expected file; skipped (exit 0) when no such folder exists.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from bench.rag import embedded_server, fresh_database, recall
from bench.report import save_results
from rag.embedders import make_embedder
from rag.ingest import ingest_paths
from rag.search import search
from runtime.database import open_pool
from runtime.migrate import migrate

NODE_DOCS = Path("/usr/share/doc/nodejs/api")
TENANT = "scratch-docs"

# (question, the files that document it)
NODE_QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Where is it documented how to run a shell command and capture its output?",
        ("child_process.md",),
    ),
    ("How do I compute a SHA-256 digest of a string?", ("crypto.md",)),
    ("Where can I read how to watch a directory for file changes?", ("fs.md",)),
    ("How do I look up the IP address of a hostname?", ("dns.md",)),
    ("Where are gzip compression and decompression described?", ("zlib.md",)),
    ("How do I read input from the terminal one line at a time?", ("readline.md",)),
    ("Where is sharing memory between worker threads explained?", ("worker_threads.md",)),
    (
        "Which command-line flag starts the inspector for debugging?",
        ("cli.md", "debugger.md", "inspector.md"),
    ),
    ("How do I schedule a callback to run after a delay?", ("timers.md", "globals.md")),
    ("What does the error code ERR_REQUIRE_ESM mean?", ("errors.md",)),
)


async def ask(
    folder: Path, questions: tuple[tuple[str, tuple[str, ...]], ...]
) -> dict[str, object]:
    embedder = make_embedder("hashing")
    files = sorted(folder.glob("*.md"))
    rows: list[dict[str, object]] = []
    with embedded_server() as server:
        async with open_pool(fresh_database(server), min_size=1, max_size=2) as pool:
            await migrate(pool)
            async with pool.connection() as conn:
                await conn.execute(
                    "INSERT INTO tenants (tenant_id, name) VALUES (%s, 'scratch docs')", (TENANT,)
                )
            started = time.perf_counter()
            summary = await ingest_paths(pool, TENANT, files, embedder=embedder)
            ingest_s = time.perf_counter() - started
            async with pool.connection() as conn:
                cursor = await conn.execute(
                    "SELECT DISTINCT heading_path FROM kb_chunks WHERE tenant_id = %s"
                    " ORDER BY heading_path",
                    (TENANT,),
                )
                headings = [row["heading_path"] for row in await cursor.fetchall()]
            # Real-text queries for HNSW recall: the questions and a spread of section names.
            probes = [q for q, _ in questions] + headings[:: max(1, len(headings) // 90)][:90]
            recall_at_10 = await recall(pool, probes, embedder, tenant_id=TENANT)
            for question, expected in questions:
                hits = await search(pool, TENANT, question, k=10, mode="hybrid")
                names = [Path(hit.source).name for hit in hits]
                rank = next((at for at, name in enumerate(names, 1) if name in expected), None)
                best = hits[0] if hits else None
                rows.append(
                    {
                        "question": question,
                        "expected": list(expected),
                        "rank": rank,
                        "top": f"{Path(best.source).name} > {best.heading_path}" if best else None,
                    }
                )
    found = [row["rank"] for row in rows]
    return {
        "folder": str(folder),
        "files": len(files),
        "chunks": summary.chunks,
        "ingest_s": round(ingest_s, 1),
        "recall_at_10": recall_at_10,
        "recall_queries": len(probes),
        "hit_at_1": sum(r == 1 for r in found) / len(found),
        "hit_at_5": sum(isinstance(r, int) and r <= 5 for r in found) / len(found),
        "answers": rows,
    }


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else NODE_DOCS
    if not folder.is_dir():
        print(f"skipped: {folder} is not on this machine")
        return 0
    result = asyncio.run(ask(folder, NODE_QUESTIONS))
    print(
        f"{result['files']} files, {result['chunks']} chunks ingested in {result['ingest_s']} s; "
        f"hit@1 {result['hit_at_1']:.2f}, hit@5 {result['hit_at_5']:.2f}"
    )
    print(f"  HNSW recall@10 by ef_search on its text: {result['recall_at_10']}")
    for row in result["answers"]:  # type: ignore[attr-defined]
        print(f"  {row['rank'] or '-':>2}  {row['question']}  -> {row['top']}")
    print(f"saved {save_results('rag_foreign', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
