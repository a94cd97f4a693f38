"""`python -m bench` (what `make bench` runs): every benchmark, one after another."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    "bench.events",
    "bench.ingest",
    "bench.hardening",
    "bench.pipeline",
    "bench.approvals",
    "bench.rag",
    "bench.rag_foreign",
    "bench.chat",
    "bench.evals",
)


def main() -> int:
    failed = [name for name in BENCHMARKS if subprocess.call([sys.executable, "-m", name]) != 0]
    if failed:
        print(f"benchmarks failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
