"""What tracing costs the service in CPU, measured in process (load on a shared machine
moves wall-clock figures; it moves a process's own CPU time much less).

Each round is a child process with the provider the service installs
(`runtime.tracing.otlp_provider`, batched OTLP/HTTP) exporting to the loopback collector
stub (`tests.fakes.otlp_collector`, its own process, CPU not counted) or, with
`--exporter memory`, to memory; on a fresh copy of one seeded database in a shared
embedded PostgreSQL:

- **pipeline**: the worker's `EventRunner` runs the `bench.mix` events one at a time (no
  queue), traced ones under a `job process_event` span as `service.tasks` opens it;
- **ingest**: Shopify webhooks through the real app (`build_service_app`, no worker) over
  httpx's ASGI transport: verify, store, defer; untraced ones through a second app
  without tracing, on the same database.

Traced and untraced items alternate (on off off on, within each route key, so both arms
run the same mix) and both see the same load. An untraced event runs under an unsampled
parent, as a trace a sampler left out, so the agent's tool spans do not record either.
Each item's CPU is the process's less the export thread's; the export thread's CPU (OTLP
encoding and sending) is charged to the traced items. `--ratio` samples traces as
`OTEL_TRACES_SAMPLER=parentbased_traceidratio` would; `--without nodes,db` leaves span
kinds out, to attribute the cost; `--separate` runs each arm in its own process instead
(noisier; `--profile DIR` then writes a CPU-time cProfile of each child).

Run: `python -m bench.trace_cost [--events N] [--webhooks N] [--rounds R] [--only KIND]`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import psycopg
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from bench.report import machine_context, save_results
from service.process import PROJECT_ROOT

KINDS = ("pipeline", "ingest")
WARMUP = 20
"""Events (or webhooks) run first and not counted: imports, prepared statements, caches."""
TEMPLATE = "opsgraph_trace_template"
INTERLEAVED = False
"""A `--tracing both` child: traced and untraced items alternate in one process."""
UNSAMPLED = NonRecordingSpan(
    SpanContext(trace_id=1, span_id=1, is_remote=False, trace_flags=TraceFlags(0))
)
"""An unsampled parent: what every span of an untraced item sees (as a trace a ratio sampler
dropped), so the tool spans the agent opens are not recorded either."""
SPANS: Any = None
"""The in-memory exporter of a `--exporter memory` child, to count spans by name."""


def start_postgres(folder: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    return pgserver.get_server(folder, cleanup_mode="delete")  # type: ignore[attr-defined]


async def seed_template(url: str, folder: Path) -> None:
    from connectors.seeding import seed_everything
    from runtime.resources import open_resources
    from runtime.settings import Settings

    settings = Settings(database_url=url, data_dir=folder)
    async with open_resources(settings) as resources:
        await seed_everything(resources.pool)


def fresh_database(server: Any, name: str) -> str:
    with psycopg.connect(str(server.get_uri("postgres")), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    return str(server.get_uri(name))


def install(exporter: str, collector_url: str | None) -> Any:
    """The tracer provider the service would install (`--exporter otlp`), or one batching
    into memory."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from runtime.tracing import (
        build_tracer_provider,
        install_tracing,
        otlp_provider,
        sampler_from,
    )

    global SPANS

    ratio = float(os.environ.get("TRACE_COST_RATIO", "1"))
    sampler = sampler_from("parentbased_traceidratio", ratio)
    if exporter == "otlp":
        assert collector_url is not None
        provider = otlp_provider(collector_url, service_name="bench", sampler=sampler)
    else:
        SPANS = InMemorySpanExporter()
        provider = build_tracer_provider(
            service_name="bench", processors=[BatchSpanProcessor(SPANS)], sampler=sampler
        )
    install_tracing(provider)
    return provider


def span_counts(items: int) -> dict[str, float]:
    """Spans per item by kind of name (`node`, `tool`, a database statement's verb, ...)."""
    if SPANS is None:
        return {}
    kinds = Counter(span.name.split(" ")[0] for span in SPANS.get_finished_spans())
    return {kind: round(n / items, 1) for kind, n in kinds.most_common()}


async def pipeline_child(url: str, folder: Path, events: int, provider: Any) -> dict[str, Any]:
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind

    from bench.mix import build_events
    from bench.pipeline import NO_APPROVALS_POLICY, SEED
    from graph.routing import key_for
    from runtime.events import CanonicalEvent, EventStatus, insert_event
    from runtime.resources import open_resources
    from runtime.settings import Settings
    from service.runner import EventRunner, compile_master_graph

    policy = folder / "policy.yaml"
    policy.write_text(NO_APPROVALS_POLICY)
    settings = Settings(database_url=url, data_dir=folder, policy_file=policy)
    tracer = trace.get_tracer("bench.trace_cost")
    async with open_resources(settings) as resources:
        ids: list[uuid.UUID] = []
        kinds: list[str] = []
        async with resources.pool.connection() as conn:
            for item in build_events(events + WARMUP, seed=SEED):
                kinds.append(key_for(item.type, item.payload))
                event_id = uuid.uuid4()
                await insert_event(
                    conn,
                    tenant_id="default",
                    source="api",
                    event=CanonicalEvent(type=item.type, entity=item.entity, payload=item.payload),
                    event_id=event_id,
                    status=EventStatus.QUEUED,
                )
                ids.append(event_id)
        runner = EventRunner(resources, compile_master_graph(resources))
        untraced = EventRunner(resources, compile_master_graph(resources).with_config(callbacks=[]))

        async def run(event_id: uuid.UUID, on: bool = True) -> None:
            if not on:
                with trace.use_span(UNSAMPLED):
                    await untraced.run(tenant_id="default", event_id=event_id)
                return
            with tracer.start_as_current_span("job process_event", kind=SpanKind.CONSUMER):
                await runner.run(tenant_id="default", event_id=event_id)

        for event_id in ids[:WARMUP]:
            await run(event_id)
        if INTERLEAVED:
            return await measured_interleaved(ids[WARMUP:], run, provider, kinds[WARMUP:])
        return await measured(ids[WARMUP:], run, provider)


async def ingest_child(url: str, folder: Path, webhooks: int, provider: Any) -> dict[str, Any]:
    import httpx

    from api.webhooks.signing import shopify_headers
    from bench.ingest import SEED, shopify_order
    from runtime.settings import Settings
    from service.app import build_service_app

    secret = secrets.token_hex(16)
    settings = Settings(database_url=url, data_dir=folder, shopify_secrets=secret)
    app = build_service_app(settings, with_worker=False, tracing=provider)
    plain = build_service_app(settings, with_worker=False)
    import random
    from datetime import UTC, datetime

    rng = random.Random(SEED)
    bodies = []
    for index in range(webhooks + WARMUP):
        body = json.dumps(shopify_order(index, rng, datetime.now(UTC))).encode()
        headers = shopify_headers(body, secret, topic="orders/create", webhook_id=str(uuid.uuid4()))
        bodies.append((body, headers))
    async with (
        app.router.lifespan_context(app),
        plain.router.lifespan_context(plain),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=plain), base_url="http://t") as bare,
    ):

        async def send(delivery: tuple[bytes, dict[str, str]], on: bool = True) -> None:
            answer = await (http if on else bare).post(
                "/webhooks/shopify", content=delivery[0], headers=delivery[1]
            )
            if answer.status_code != 202:
                raise RuntimeError(f"webhook answered {answer.status_code}: {answer.text}")

        for index, delivery in enumerate(bodies[:WARMUP]):
            await send(delivery, on=index % 2 == 0)
        if INTERLEAVED:
            return await measured_interleaved(bodies[WARMUP:], send, provider)
        return await measured(bodies[WARMUP:], send, provider)


def export_cpu() -> float:
    """CPU seconds of the span processors' export threads so far."""
    import threading

    return sum(
        time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        for thread in threading.enumerate()
        if thread.name.startswith("OtelBatch") and thread.ident is not None
    )


async def measured_interleaved(
    items: list[Any], run: Any, provider: Any, kinds: list[str] | None = None
) -> dict[str, Any]:
    """Tracing on and off item by item, in one process, so both arms see the same load:
    on off off on ... within each kind of item (an event's route key), so each arm runs
    the same mix. Each item's CPU is the process's (every thread) less the export thread's,
    which runs when it will; all the export CPU is charged to the traced items."""
    taken: dict[bool, list[float]] = {True: [], False: []}
    seen: Counter[str] = Counter()
    export_started = export_cpu()
    for index, item in enumerate(items):
        kind = kinds[index] if kinds else ""
        on = seen[kind] % 4 in (0, 3)
        seen[kind] += 1
        cpu, exported = time.process_time(), export_cpu()
        await run(item, on)
        taken[on].append(time.process_time() - cpu - (export_cpu() - exported))
    cpu = time.process_time()
    provider.force_flush()
    export = time.process_time() - cpu + export_cpu() - export_started
    on_ms = 1000 * (sum(taken[True]) + export) / len(taken[True])
    off_ms = 1000 * sum(taken[False]) / len(taken[False])
    return {
        "cpu_ms_on": round(on_ms, 3),
        "cpu_ms_off": round(off_ms, 3),
        "overhead": round(on_ms / off_ms - 1, 3),
        "export_ms_per_traced_item": round(1000 * export / len(taken[True]), 3),
        "items": len(items),
    } | ({"spans_per_traced_item": span_counts(len(taken[True]))} if SPANS is not None else {})


async def measured(items: list[Any], run: Any, provider: Any) -> dict[str, Any]:
    """CPU of this process (every thread: the span processor's export thread too) per item;
    the provider is flushed inside the window, so every span's export is counted."""
    profile_to = os.environ.get("TRACE_COST_PROFILE")
    profiler = cProfile.Profile(time.process_time) if profile_to else None
    if SPANS is not None:
        SPANS.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    with profiler or nullcontext():
        for item in items:
            await run(item)
        if provider is not None:
            provider.force_flush()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    spans = span_counts(len(items))
    if profiler is not None and profile_to:
        profiler.dump_stats(profile_to)
    return {"cpu_ms": 1000 * cpu / len(items), "wall_ms": 1000 * wall / len(items)} | (
        {"spans_per_item": spans} if spans else {}
    )


def child(args: argparse.Namespace) -> int:
    global INTERLEAVED
    INTERLEAVED = args.tracing == "both"
    provider = install(args.exporter, args.collector) if args.tracing != "off" else None
    leave_out(os.environ.get("TRACE_COST_WITHOUT", ""))
    folder = Path(tempfile.mkdtemp(prefix="opsgraph-trace-cost-"))
    body = pipeline_child if args.child == "pipeline" else ingest_child
    figures = asyncio.run(body(args.url, folder, args.count, provider))
    print(json.dumps(figures))
    return 0


def leave_out(parts: str) -> None:
    """Attribution: `nodes` leaves the node spans out, `db` the database spans."""
    import service.runner
    from runtime.tracing import tracing_installed, uninstall_tracing

    if not tracing_installed():
        return
    if "nodes" in parts:
        setattr(service.runner, "tracing_installed", lambda: False)  # noqa: B010
    if "db" in parts:
        uninstall_tracing()
        if "nodes" not in parts:
            setattr(service.runner, "tracing_installed", lambda: True)  # noqa: B010


@contextmanager
def collector(exporter: str) -> Iterator[str | None]:
    if exporter != "otlp":
        yield None
        return
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.otlp_collector"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_arm(
    kind: str, tracing: str, url: str, count: int, args: argparse.Namespace, collector_url: Any
) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.trace_cost", "--child", kind, "--tracing", tracing]
    command += ["--url", url, "--count", str(count), "--exporter", args.exporter]
    if collector_url:
        command += ["--collector", collector_url]
    env = dict(os.environ, OPSGRAPH_LOG_LEVEL="WARNING")
    env.setdefault("TRACE_COST_RATIO", str(getattr(args, "ratio", 1.0)))
    env.setdefault("TRACE_COST_WITHOUT", getattr(args, "without", ""))
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        name = f"{kind}-{tracing}-{time.time_ns()}.prof"
        env["TRACE_COST_PROFILE"] = str(Path(args.profile) / name)
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{kind}/{tracing} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def compare(args: argparse.Namespace) -> dict[str, Any]:
    kinds = [args.only] if args.only else list(KINDS)
    counts = {"pipeline": args.events, "ingest": args.webhooks}
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="opsgraph-trace-cost-") as tmp:
        server = start_postgres(Path(tmp) / "pg")
        try:
            with psycopg.connect(str(server.get_uri("postgres")), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
            asyncio.run(seed_template(str(server.get_uri(TEMPLATE)), Path(tmp)))
            with collector(args.exporter) as collector_url:
                for kind in kinds:
                    arms: dict[str, list[dict[str, Any]]] = {"on": [], "off": [], "both": []}
                    for round_ in range(args.rounds):
                        modes = ["both"] if not args.separate else ["on", "off"]
                        for tracing in modes if round_ % 2 == 0 else modes[::-1]:
                            url = fresh_database(server, f"arm_{uuid.uuid4().hex[:12]}")
                            figures = run_arm(kind, tracing, url, counts[kind], args, collector_url)
                            figures["loadavg_1m"] = round(os.getloadavg()[0], 2)
                            arms[tracing].append(figures)
                            print(f"  {kind} {round_} tracing {tracing}: {figures}", flush=True)
                    results[kind] = summarize(arms, counts[kind])
        finally:
            server.cleanup()
    return results


def summarize(arms: dict[str, list[dict[str, Any]]], count: int) -> dict[str, Any]:
    """Per round: CPU ms per item traced and untraced, and the overhead; median and range."""
    interleaved = arms["both"]
    on = [a["cpu_ms"] for a in arms["on"]] or [a["cpu_ms_on"] for a in interleaved]
    off = [a["cpu_ms"] for a in arms["off"]] or [a["cpu_ms_off"] for a in interleaved]
    ratios = [a / b for a, b in zip(on, off, strict=True)]
    return {
        "count": count,
        "cpu_ms_per_item_on": [round(x, 2) for x in on],
        "cpu_ms_per_item_off": [round(x, 2) for x in off],
        "overhead_median": round(statistics.median(ratios) - 1, 3),
        "overhead_range": [round(min(ratios) - 1, 3), round(max(ratios) - 1, 3)],
        "export_ms_per_traced_item": [a["export_ms_per_traced_item"] for a in interleaved],
        "loadavg_1m": [a["loadavg_1m"] for a in arms["on"] + arms["off"] + interleaved],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--webhooks", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", choices=KINDS)
    parser.add_argument("--exporter", choices=("otlp", "memory"), default="otlp")
    parser.add_argument(
        "--separate",
        action="store_true",
        help="each arm in its own process (noisier than the default, interleaved)",
    )
    parser.add_argument(
        "--without", default="", help="attribution: leave out `nodes` and/or `db` spans"
    )
    parser.add_argument("--profile", help="folder for a cProfile of each --separate child")
    parser.add_argument(
        "--ratio", type=float, default=1.0, help="traces sampled (parentbased_traceidratio)"
    )
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--tracing", choices=("on", "off", "both"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--collector", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    figures = {
        "results": compare(args),
        "exporter": args.exporter,
        "sampler_ratio": args.ratio,
        "without": args.without,
        "interleaved": not args.separate,
        "machine": machine_context(),
    }
    print(json.dumps(figures["results"], indent=2))
    if args.save:
        print(f"saved {save_results('trace_cost', figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
