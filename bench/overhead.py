"""What observability costs: bench.ingest and bench.pipeline with metrics on (as shipped), with
the API's metrics middleware taken out, and with tracing to a loopback OTLP collector stub.

Run: `python -m bench.overhead [--repeats N] [--webhooks N] [--events N]` (not in `make bench`:
about 15 minutes at the defaults). The variants run interleaved (A B C A B C ...) so drift in
the machine's load falls on all of them; each figure is the median of the repeats, with the
spread (min-max) and the load average around each run beside it.

Metrics in this service are mostly counted from the database when /metrics is scraped (no
cost while nobody scrapes); the per-request part is the API's `AnswerTiming` middleware, which
"metrics off" removes. "Tracing" sets OPSGRAPH_OTEL_ENDPOINT to the collector stub
(`tests/fakes/otlp_collector.py`, its own process), so the API and the worker export every
span over loopback HTTP, as they would to a local collector.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bench.ingest
import bench.pipeline
from bench.report import machine_context, save_results
from service.process import PROJECT_ROOT, background, wait_healthy

VARIANTS = ("metrics_on", "metrics_off", "tracing")
TARGET_METRICS_COST = 0.03
TARGET_TRACING_COST = 0.10
SERVE_WITHOUT_METRICS = "serve-without-metrics"

EnvBuilder = Callable[..., dict[str, str]]


@contextmanager
def collector_stub(log: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The collector stub in its own process; yields its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.otlp_collector"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip(), process
    finally:
        process.terminate()
        process.wait(timeout=30)


def stub_counts(process: subprocess.Popen[str]) -> str:
    process.terminate()
    out, _ = process.communicate(timeout=30)
    return out.strip().splitlines()[-1] if out.strip() else "?"


@contextmanager
def serving_without_metrics(env: dict[str, str], *extra: str, log: Path) -> Iterator[str]:
    """`bench.ingest`'s and `bench.pipeline`'s `serving`, with the metrics middleware out."""
    base_url = f"http://127.0.0.1:{env['OPSGRAPH_PORT']}"
    with background(["bench.overhead", SERVE_WITHOUT_METRICS, *extra], log=log, env=env) as proc:
        wait_healthy(proc, base_url, log)
        yield base_url


@contextmanager
def variant(name: str, tmp: Path) -> Iterator[str | None]:
    """Point the benchmarks' process helpers at the variant for the block."""
    modules = (bench.ingest, bench.pipeline)
    saved = [(m, m.opsgraph_env, m.serving) for m in modules]
    try:
        if name == "metrics_off":
            for module in modules:
                module.serving = serving_without_metrics  # type: ignore[attr-defined]
            yield None
        elif name == "tracing":
            with collector_stub(tmp / "collector.log") as (url, process):
                for module, env_builder, _ in saved:
                    module.opsgraph_env = traced_env(env_builder, url)  # type: ignore[attr-defined]
                yield url
                print(f"    collector: {stub_counts(process)}", flush=True)
        else:
            yield None
    finally:
        for module, env_builder, serve in saved:
            module.opsgraph_env = env_builder  # type: ignore[attr-defined]
            module.serving = serve  # type: ignore[attr-defined]


def traced_env(env_builder: EnvBuilder, url: str) -> EnvBuilder:
    def build(*args: Any, **kwargs: Any) -> dict[str, str]:
        return env_builder(*args, **kwargs) | {"OPSGRAPH_OTEL_ENDPOINT": url}

    return build


def measure(kind: str, name: str, size: int) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="opsgraph-overhead-") as tmp, variant(name, Path(tmp)):
        if kind == "ingest":
            figures, intact = bench.ingest.run(size, 32)
            rate = figures["ingest"]["acks_per_s"]
            p99 = figures["ingest"]["latency"]["p99_ms"]
        else:
            figures, intact = bench.pipeline.run(size, 4)
            rate = figures["pipeline"]["events_per_s"]
            p99 = figures["pipeline"]["latency"]["p99_ms"]
    return {
        "rate": rate,
        "p99_ms": p99,
        "intact": intact,
        "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    rates = [run["rate"] for run in runs]
    return {
        "median": round(statistics.median(rates), 1),
        "min": round(min(rates), 1),
        "max": round(max(rates), 1),
        "runs": runs,
    }


def run(repeats: int, webhooks: int, events: int, kinds: list[str]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for kind, size in (("ingest", webhooks), ("pipeline", events)):
        if kind not in kinds:
            continue
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
        for repeat in range(repeats):
            for name in VARIANTS:
                print(f"  {kind} {name} #{repeat + 1} ...", flush=True)
                runs[name].append(measure(kind, name, size))
                print(f"    {runs[name][-1]}", flush=True)
        per_variant = {name: summarize(found) for name, found in runs.items()}
        on = per_variant["metrics_on"]["median"]
        figures[kind] = {
            "size": size,
            "variants": per_variant,
            "metrics_cost": round(1 - on / per_variant["metrics_off"]["median"], 3),
            "tracing_cost": round(1 - per_variant["tracing"]["median"] / on, 3),
        }
    figures["targets"] = {
        "metrics_cost_max": TARGET_METRICS_COST,
        "tracing_cost_max": TARGET_TRACING_COST,
    }
    return figures


def summary(figures: dict[str, Any]) -> str:
    lines = []
    for kind in ("ingest", "pipeline"):
        if kind not in figures:
            continue
        found = figures[kind]
        unit = "acks/s" if kind == "ingest" else "events/s"
        for name, v in found["variants"].items():
            lines.append(
                f"{kind:<9}{name:<12}{v['median']:>8.1f} {unit} median "
                f"(min {v['min']}, max {v['max']}, n={len(v['runs'])})"
            )
        lines.append(
            f"{kind:<9}metrics cost {found['metrics_cost']:+.1%} "
            f"(target <= {TARGET_METRICS_COST:.0%}), tracing cost {found['tracing_cost']:+.1%} "
            f"(target <= {TARGET_TRACING_COST:.0%})"
        )
    return "\n".join(lines)


def serve_without_metrics(extra: list[str]) -> None:
    """`opsgraph serve`, with the API's metrics middleware removed (the 'metrics off' arm)."""
    from api.metrics import AnswerTiming
    from runtime.logging import configure_logging
    from runtime.settings import get_settings
    from service.app import build_service_app
    from service.server import build_server

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = build_service_app(settings, with_worker="--no-worker" not in extra)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not AnswerTiming]  # type: ignore[comparison-overlap]
    build_server(app, host=settings.host, port=settings.port, log_level=settings.log_level).run()


def main() -> int:
    if sys.argv[1:2] == [SERVE_WITHOUT_METRICS]:
        serve_without_metrics(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--only", choices=["ingest", "pipeline"], default=None)
    args = parser.parse_args()
    print(f"bench.overhead: {args.repeats} repeats of {', '.join(VARIANTS)} ...", flush=True)
    kinds = [args.only] if args.only else ["ingest", "pipeline"]
    figures = run(args.repeats, args.webhooks, args.events, kinds)
    path = save_results("overhead", figures)
    print(summary(figures))
    print(json.dumps({"context": machine_context(), **figures}, indent=2))
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
