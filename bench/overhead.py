"""What observability costs: bench.ingest and bench.pipeline with metrics on (as shipped, scraped
as Prometheus would), with metrics off, and with tracing to a loopback OTLP collector stub.

Run: `python -m bench.overhead [--repeats N] [--webhooks N] [--events N] [--only KIND]` (not
in `make bench`: about 5 minutes a round at the defaults on a quiet machine).

On a shared machine one run's throughput swings by more than the effects measured here, so
the answer is built to survive noise:

- **Interleaved, paired rounds.** Each round runs the three arms back to back, in the order
  A B C in even rounds and C B A in odd ones (`metrics_on` is always in the middle), so each
  comparison's two arms run next to each other and a drift in the machine's load falls on
  both sides alike over two rounds. A comparison is judged by its per-round ratios (with /
  without), reported as the median and the spread (min-max) over rounds.
- **CPU per event.** Beside throughput, each arm reports the service's own CPU time per
  event (user + system, from /proc: the API process for ingest; the API and the worker for
  the pipeline), which other load on the machine hardly moves; PostgreSQL's CPU per event
  is reported apart. The collector stub's CPU is not the service's and is left out.
- **A verdict per comparison**: within the target on every round, over it on every round, or
  the rounds disagree (then more rounds, or a quieter machine, are needed).

Metrics in this service are mostly counted from the database when /metrics is scraped; the
per-request part is the API's `AnswerTiming` middleware. "metrics_on" runs the service as
shipped and scrapes `/metrics` every `--scrape-every` seconds (Prometheus' default 15 s);
"metrics_off" removes the middleware and nobody scrapes. "tracing" is "metrics_on" plus
OPSGRAPH_OTEL_ENDPOINT set to the collector stub (`tests/fakes/otlp_collector.py`, its own
process), so the API and the worker export every span over loopback HTTP.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

import bench.ingest
import bench.pipeline
from bench.report import machine_context, save_results
from service.process import PROJECT_ROOT, background, wait_healthy

ARMS = ("metrics_on", "metrics_off", "tracing")
COMPARISONS = {"metrics": ("metrics_on", "metrics_off"), "tracing": ("tracing", "metrics_on")}
"""Each comparison's (with, without) arms."""
TARGETS = {"metrics": 0.03, "tracing": 0.10}
SERVE_WITHOUT_METRICS = "serve-without-metrics"
START_TIMEOUT_S = 180.0
ATTEMPTS = 2
"""A run that fails (a start-up timeout on a loaded machine) is tried once more."""

EnvBuilder = Callable[..., dict[str, str]]
Serving = Callable[..., Any]


def round_order(repeat: int) -> tuple[str, ...]:
    """A B C, then C B A: each comparison's arms are neighbours, and drift cancels."""
    return ARMS if repeat % 2 == 0 else tuple(reversed(ARMS))


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
def serving_module(module: list[str], env: dict[str, str], *extra: str, log: Path) -> Iterator[str]:
    """`module` serving in the background; its base URL once /healthz answers (a loaded
    machine may take a minute to create and migrate the embedded database)."""
    base_url = f"http://127.0.0.1:{env['OPSGRAPH_PORT']}"
    with background([*module, *extra], log=log, env=env) as proc:
        wait_healthy(proc, base_url, log, timeout_s=START_TIMEOUT_S)
        yield base_url


def serving_as_shipped(env: dict[str, str], *extra: str, log: Path) -> Any:
    """`opsgraph serve`, as the benchmarks' own `serving` starts it."""
    return serving_module(["service.cli", "serve"], env, *extra, log=log)


def serving_without_metrics(env: dict[str, str], *extra: str, log: Path) -> Any:
    """`opsgraph serve` with the metrics middleware out."""
    return serving_module(["bench.overhead", SERVE_WITHOUT_METRICS], env, *extra, log=log)


@contextmanager
def scraping(base_url: str, token: str, every_s: float) -> Iterator[list[float]]:
    """Scrape /metrics at once and then every `every_s` seconds, as Prometheus would; yields
    the scrape durations (seconds) so far."""
    took: list[float] = []
    stop = threading.Event()

    def scrape() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            while True:
                started = time.perf_counter()
                answer = client.get("/metrics")
                if answer.status_code == 200:
                    took.append(time.perf_counter() - started)
                if stop.wait(every_s):
                    return

    thread = threading.Thread(target=scrape, name="bench-scraper", daemon=True)
    thread.start()
    try:
        yield took
    finally:
        stop.set()
        thread.join(timeout=60)


def scraped_serving(serve: Serving, every_s: float, scrapes: list[float]) -> Serving:
    """`serve` with a Prometheus-like scraper running while it serves."""

    @contextmanager
    def serving(env: dict[str, str], *extra: str, log: Path) -> Iterator[str]:
        with serve(env, *extra, log=log) as base_url:
            if every_s <= 0:
                yield base_url
                return
            with scraping(base_url, env["OPSGRAPH_METRICS_TOKEN"], every_s) as took:
                yield base_url
            scrapes.extend(took)

    return serving


def with_env(env_builder: EnvBuilder, extra: dict[str, str]) -> EnvBuilder:
    def build(*args: Any, **kwargs: Any) -> dict[str, str]:
        return env_builder(*args, **kwargs) | extra

    return build


def without_pid(children: Callable[[int], list[int]], pid: int) -> Callable[[int], list[int]]:
    """`children`, leaving out `pid` (the collector stub: its CPU is not the service's)."""

    def found(parent: int) -> list[int]:
        return [child for child in children(parent) if child != pid]

    return found


@contextmanager
def arm(name: str, tmp: Path, *, scrape_every_s: float) -> Iterator[list[float]]:
    """Point the benchmarks' process helpers at the arm for the block; yields the durations
    of the scrapes made during it."""
    modules = (bench.ingest, bench.pipeline)
    saved = [(m, m.opsgraph_env, m.serving, m.children) for m in modules]
    scrapes: list[float] = []
    token = {"OPSGRAPH_METRICS_TOKEN": secrets.token_urlsafe(24)}
    try:
        if name == "metrics_off":
            for module in modules:
                module.serving = serving_without_metrics  # type: ignore[attr-defined]
            yield scrapes
            return
        for module, env_builder, _, _ in saved:
            module.opsgraph_env = with_env(env_builder, token)  # type: ignore[attr-defined]
            module.serving = scraped_serving(serving_as_shipped, scrape_every_s, scrapes)  # type: ignore[attr-defined]
        if name != "tracing":
            yield scrapes
            return
        with collector_stub(tmp / "collector.log") as (url, process):
            for module, env_builder, _, children in saved:
                traced = token | {"OPSGRAPH_OTEL_ENDPOINT": url}
                module.opsgraph_env = with_env(env_builder, traced)  # type: ignore[attr-defined]
                module.children = without_pid(children, process.pid)  # type: ignore[attr-defined]
            yield scrapes
            print(f"    collector: {stub_counts(process)}", flush=True)
    finally:
        for module, env_builder, serve, children in saved:
            module.opsgraph_env = env_builder  # type: ignore[attr-defined]
            module.serving = serve  # type: ignore[attr-defined]
            module.children = children  # type: ignore[attr-defined]


def per_event_ms(seconds: float, count: int) -> float:
    return round(1000 * seconds / count, 3) if count else float("nan")


def measure(kind: str, name: str, size: int, *, scrape_every_s: float) -> dict[str, Any]:
    """One run of one arm: throughput, p99, and CPU per event (service, PostgreSQL)."""
    load_before = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="opsgraph-overhead-") as tmp,
        arm(name, Path(tmp), scrape_every_s=scrape_every_s) as scrapes,
    ):
        if kind == "ingest":
            figures, intact = bench.ingest.run(size, 32)
            found = figures["ingest"]
            rate, count = found["acks_per_s"], figures["deliveries"]
            service_s = found["cpu_s"]["server"]
        else:
            figures, intact = bench.pipeline.run(size, 4)
            found = figures["pipeline"]
            rate, count = found["events_per_s"], figures["events"]
            service_s = figures["cpu_s"]["worker"] + figures["cpu_s"]["api"]
            found = {**found, "cpu_s": figures["cpu_s"]}
    return {
        "rate": rate,
        "p99_ms": found["latency"]["p99_ms"],
        "service_cpu_ms_per_event": per_event_ms(service_s, count),
        "postgres_cpu_ms_per_event": per_event_ms(found["cpu_s"].get("postgres", 0.0), count),
        "scrapes": len(scrapes),
        "scrape_ms_max": round(1000 * max(scrapes), 1) if scrapes else None,
        "intact": intact,
        "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def measure_again(kind: str, name: str, size: int, *, scrape_every_s: float) -> dict[str, Any]:
    """`measure`, tried once more if it fails."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return measure(kind, name, size, scrape_every_s=scrape_every_s)
        except Exception as exc:
            if attempt == ATTEMPTS:
                raise
            print(f"    failed ({type(exc).__name__}: {str(exc)[:200]}); again", flush=True)
    raise AssertionError("unreachable")


def spread(values: list[float], digits: int = 3) -> dict[str, Any]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "values": [round(v, digits) for v in values],
    }


def verdict(costs: list[float], target: float) -> str:
    """Whether every round agrees: all within the target, all over it, or neither."""
    if all(cost <= target for cost in costs):
        return "within target on every round"
    if all(cost > target for cost in costs):
        return "over target on every round"
    return "rounds disagree: more rounds or a quieter machine needed"


def compare(runs: dict[str, list[dict[str, Any]]], with_arm: str, without: str) -> dict[str, Any]:
    """Per-round ratios of `with_arm` to `without`: throughput and service CPU per event."""
    pairs = list(zip(runs[with_arm], runs[without], strict=True))
    throughput = [a["rate"] / b["rate"] for a, b in pairs]
    cpu = [
        a["service_cpu_ms_per_event"] / b["service_cpu_ms_per_event"]
        for a, b in pairs
        if b["service_cpu_ms_per_event"]
    ]
    return {
        "throughput_ratio": spread(throughput),
        "throughput_cost": round(1 - statistics.median(throughput), 3),
        "cpu_ratio": spread(cpu),
        "cpu_cost": round(statistics.median(cpu) - 1, 3),
    }


def run(
    repeats: int, webhooks: int, events: int, kinds: list[str], *, scrape_every_s: float
) -> dict[str, Any]:
    figures: dict[str, Any] = {"repeats": repeats, "scrape_every_s": scrape_every_s}
    for kind, size in (("ingest", webhooks), ("pipeline", events)):
        if kind not in kinds:
            continue
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in ARMS}
        for repeat in range(repeats):
            for name in round_order(repeat):
                print(f"  {kind} {name} #{repeat + 1} ...", flush=True)
                runs[name].append(measure_again(kind, name, size, scrape_every_s=scrape_every_s))
                print(f"    {runs[name][-1]}", flush=True)
        arms = {
            name: {
                "rate": spread([r["rate"] for r in found], 1),
                "service_cpu_ms_per_event": spread(
                    [r["service_cpu_ms_per_event"] for r in found], 2
                ),
                "postgres_cpu_ms_per_event": spread(
                    [r["postgres_cpu_ms_per_event"] for r in found], 2
                ),
                "runs": found,
            }
            for name, found in runs.items()
        }
        comparisons = {}
        for what, (with_arm, without) in COMPARISONS.items():
            found = compare(runs, with_arm, without)
            cpu_costs = [v - 1 for v in found["cpu_ratio"]["values"]]
            throughput_costs = [1 - v for v in found["throughput_ratio"]["values"]]
            found["cpu_verdict"] = verdict(cpu_costs, TARGETS[what])
            found["throughput_verdict"] = verdict(throughput_costs, TARGETS[what])
            comparisons[what] = found
        figures[kind] = {"size": size, "arms": arms, "comparisons": comparisons}
    figures["targets"] = {f"{what}_cost_max": target for what, target in TARGETS.items()}
    return figures


def summary(figures: dict[str, Any]) -> str:
    lines = []
    for kind in ("ingest", "pipeline"):
        if kind not in figures:
            continue
        found = figures[kind]
        unit = "acks/s" if kind == "ingest" else "events/s"
        for name, v in found["arms"].items():
            rate, cpu = v["rate"], v["service_cpu_ms_per_event"]
            lines.append(
                f"{kind:<9}{name:<12}{rate['median']:>8.1f} {unit} median "
                f"(min {rate['min']}, max {rate['max']}); service CPU {cpu['median']} ms/event "
                f"(min {cpu['min']}, max {cpu['max']}); PostgreSQL "
                f"{v['postgres_cpu_ms_per_event']['median']} ms/event; n={len(v['runs'])}"
            )
        for what, c in found["comparisons"].items():
            t, cpu = c["throughput_ratio"], c["cpu_ratio"]
            lines.append(
                f"{kind:<9}{what} cost: CPU/event {c['cpu_cost']:+.1%} "
                f"(ratio median {cpu['median']}, min {cpu['min']}, max {cpu['max']}: "
                f"{c['cpu_verdict']}); throughput {c['throughput_cost']:+.1%} "
                f"(ratio median {t['median']}, min {t['min']}, max {t['max']}: "
                f"{c['throughput_verdict']}); target <= {TARGETS[what]:.0%}"
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
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=4, help="rounds (even: balanced order)")
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--only", choices=["ingest", "pipeline"], default=None)
    parser.add_argument("--scrape-every", type=float, default=15.0, help="seconds; 0: none")
    parser.add_argument(
        "--no-save", action="store_true", help="print only (a smoke run keeps the results file)"
    )
    args = parser.parse_args()
    print(f"bench.overhead: {args.repeats} rounds of {', '.join(ARMS)} ...", flush=True)
    kinds = [args.only] if args.only else ["ingest", "pipeline"]
    figures = run(args.repeats, args.webhooks, args.events, kinds, scrape_every_s=args.scrape_every)
    print(summary(figures))
    print(json.dumps({"context": machine_context(), **figures}, indent=2))
    if not args.no_save:
        print(f"saved {save_results('overhead', figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
