"""Event pipeline: mixed canonical events, `POST /events` -> queue -> hierarchy -> done, on a live
`opsgraph serve --no-worker` and one `opsgraph worker`; then the same events through a no-op
hierarchy of the same shape on the same database (`bench.floor`).

Run: `python -m bench.pipeline [--events N] [--concurrency C]` (or `make bench`).
Exits 1 only when an event failed or got lost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row

from bench.client import post_events
from bench.floor import FLOOR_THREAD_PREFIX, FloorEvent, run_floor
from bench.ingest import children, cpu_seconds, postgres_uri
from bench.mix import Event, build_events, mix_counts
from bench.report import latency_summary, percentile, publish
from graph.routing import key_for
from runtime.settings import get_settings
from service.process import background, opsgraph_env, run_cli, serving

SEED = 20250301
TARGET_EVENTS_PER_S = 50.0
TARGET_FLOOR_RATIO = 4.0
SENDERS = 4
"""Orders from here on wait for an approval under the shipped policy: the bench stays below."""
DONE_TIMEOUT_S = 600.0
STALL_TIMEOUT_S = 60.0
REAL_THREAD_PREFIX = "event:"
TERMINAL = ("done", "failed", "skipped", "ignored", "rejected", "stale")
SETTLED = (*TERMINAL, "awaiting_approval")
NO_APPROVALS_POLICY = """\
# bench.pipeline measures the unattended pipeline: no rule fires, nothing waits for a person
# (the gate still computes its facts for every side-effecting call).
version: bench-no-approvals
rules: []
"""

WORKERS_SQL = "SELECT count(*) AS workers FROM procrastinate_workers"
STATUS_COUNTS_SQL = """
    SELECT status, count(*) AS n FROM events WHERE event_id = ANY(%s::uuid[]) GROUP BY status
"""
EVENT_ROWS_SQL = """
    SELECT event_id::text, type, entity, payload, status, attempts, timeline, error,
           received_at, started_at, finished_at
      FROM events WHERE event_id = ANY(%s::uuid[])
"""
CHECKPOINT_ROWS_SQL = """
    SELECT 'checkpoints' AS table_name, count(*) AS n,
           coalesce(sum(pg_column_size(t.*)), 0) AS bytes
      FROM checkpoints t WHERE thread_id LIKE %(threads)s
    UNION ALL
    SELECT 'checkpoint_blobs', count(*), coalesce(sum(pg_column_size(t.*)), 0)
      FROM checkpoint_blobs t WHERE thread_id LIKE %(threads)s
    UNION ALL
    SELECT 'checkpoint_writes', count(*), coalesce(sum(pg_column_size(t.*)), 0)
      FROM checkpoint_writes t WHERE thread_id LIKE %(threads)s
"""
TABLE_SIZES_SQL = """
    SELECT name, pg_total_relation_size(name::regclass) AS bytes
      FROM unnest(ARRAY['checkpoints', 'checkpoint_blobs', 'checkpoint_writes']) AS name
"""


def worker_process(
    env: dict[str, str], *, log: Path
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """One `opsgraph worker` in the background, stopped with SIGINT on the way out."""
    return background(["service.cli", "worker"], log=log, env=env)


def registered_workers(conn: psycopg.Connection[DictRow]) -> int:
    row = conn.execute(WORKERS_SQL).fetchone()
    return int(row["workers"]) if row else 0


def wait_worker_ready(
    process: subprocess.Popen[bytes],
    conn: psycopg.Connection[DictRow],
    *,
    before: int,
    log: Path,
    timeout_s: float = 60,
) -> None:
    """Until the worker has registered with procrastinate (it takes jobs from then on)."""
    deadline = time.monotonic() + timeout_s
    while registered_workers(conn) <= before:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"worker not ready in {timeout_s:.0f}s:\n{log.read_text()}")
        time.sleep(0.1)


def checked(done: subprocess.CompletedProcess[str], what: str) -> str:
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout.strip()


def wait_settled(conn: psycopg.Connection[DictRow], ids: list[str]) -> Counter[str]:
    """Poll until every event settled (finished, or parked at an approval), or until nothing
    moved for a minute: what is still open then counts as lost."""
    deadline = time.monotonic() + DONE_TIMEOUT_S
    last_progress, settled = time.monotonic(), -1
    while True:
        statuses = Counter(
            {row["status"]: int(row["n"]) for row in conn.execute(STATUS_COUNTS_SQL, (ids,))}
        )
        now_settled = sum(statuses[status] for status in SETTLED)
        if now_settled == len(ids):
            return statuses
        if now_settled != settled:
            last_progress, settled = time.monotonic(), now_settled
        if time.monotonic() > deadline or time.monotonic() - last_progress > STALL_TIMEOUT_S:
            return statuses
        time.sleep(0.1)


def cpu_snapshot(worker: int, postmaster: int) -> dict[str, float]:
    """CPU seconds so far of the worker, the API process (our other child), and PostgreSQL."""
    worker_s = cpu_seconds([worker])
    return {
        "worker": worker_s,
        "api": cpu_seconds(children(os.getpid())) - worker_s,
        "postgres": cpu_seconds([postmaster, *children(postmaster)]),
    }


@dataclass(frozen=True)
class Measured:
    """What one run left in the database and saw on the way."""

    rows: list[DictRow]
    answers: Counter[str]
    statuses: Counter[str]
    send_s: float
    cpu_s: dict[str, float]
    wall_s: float
    checkpoints: dict[str, Any]
    table_bytes: dict[str, int]
    floor_s: list[float]
    floor_wall_s: float
    floor_cpu_s: float
    floor_checkpoints: dict[str, Any]
    seeded: str
    worker_log: str


def measure(events: list[Event], *, concurrency: int, tmp: Path) -> Measured:
    """Seed, serve, one worker, the events through `POST /events`; then the floor."""
    policy = tmp / "policy.yaml"
    policy.write_text(NO_APPROVALS_POLICY)
    env = opsgraph_env(tmp / "data") | {
        "OPSGRAPH_LOG_LEVEL": "WARNING",
        "OPSGRAPH_WORKER_CONCURRENCY": str(concurrency),
        "OPSGRAPH_POLICY_FILE": str(policy),
    }
    seeded = checked(run_cli("store", "seed", env=env), "opsgraph store seed")
    with serving(env, "--no-worker", log=tmp / "serve.log") as base_url:
        database_uri, postmaster = postgres_uri(tmp / "data" / "pg")
        created = run_cli("keys", "create", "--role", "operator", "--name", "bench", env=env)
        key = checked(created, "opsgraph keys create")
        log = tmp / "worker.log"
        with psycopg.connect(database_uri, autocommit=True, row_factory=dict_row) as conn:
            workers = registered_workers(conn)
            with worker_process(env, log=log) as worker:
                wait_worker_ready(worker, conn, before=workers, log=log)
                before = cpu_snapshot(worker.pid, postmaster)
                started = time.perf_counter()
                ids, answers = asyncio.run(
                    post_events(
                        base_url,
                        key,
                        (
                            {"type": e.type, "entity": e.entity, "payload": e.payload}
                            for e in events
                        ),
                        senders=SENDERS,
                    )
                )
                send_s = time.perf_counter() - started
                statuses = wait_settled(conn, ids)
                wall_s = time.perf_counter() - started
                after = cpu_snapshot(worker.pid, postmaster)
            rows = conn.execute(EVENT_ROWS_SQL, (ids,)).fetchall()
            checkpoints = checkpoint_figures(conn, f"{REAL_THREAD_PREFIX}%", len(rows))
            table_bytes = table_sizes(conn)
            floor_events = [
                FloorEvent(  # the route key: the floor routes a variant type by it
                    event_id=row["event_id"],
                    type=key_for(row["type"], row["payload"]),
                    entity=row["entity"],
                    payload=row["payload"],
                )
                for row in rows
            ]
            floor_s, floor_wall_s, floor_cpu_s = asyncio.run(
                run_floor(database_uri, floor_events, concurrency=concurrency)
            )
            floor_checkpoints = checkpoint_figures(conn, f"{FLOOR_THREAD_PREFIX}%", len(rows))
    return Measured(
        rows=rows,
        answers=answers,
        statuses=statuses,
        send_s=send_s,
        cpu_s={name: round(after[name] - before[name], 2) for name in before},
        wall_s=wall_s,
        checkpoints=checkpoints,
        table_bytes=table_bytes,
        floor_s=floor_s,
        floor_wall_s=floor_wall_s,
        floor_cpu_s=floor_cpu_s,
        floor_checkpoints=floor_checkpoints,
        seeded=seeded,
        worker_log=log.read_text()[-4000:],
    )


def seconds(later: datetime | None, earlier: datetime | None) -> float:
    return 0.0 if later is None or earlier is None else (later - earlier).total_seconds()


def pipeline_figures(rows: list[DictRow]) -> tuple[dict[str, Any], list[float]]:
    """Throughput and latencies from the events table's own clock; and the in-worker times."""
    done = [row for row in rows if row["status"] == "done"]
    span = (
        seconds(max(r["finished_at"] for r in done), min(r["received_at"] for r in rows))
        if done
        else 0.0
    )
    in_worker = [seconds(r["finished_at"], r["started_at"]) for r in done]
    by_type: dict[str, list[float]] = {}
    for row, took in zip(done, in_worker, strict=True):
        by_type.setdefault(row["type"], []).append(took)
    calls = [c for row in done for o in row["timeline"] for c in o.get("tool_calls", [])]
    problems = [f"{c['name']}: {str(c['result'])[:120]}" for c in calls if c["status"] != "success"]
    figures = {
        "events_per_s": round(len(done) / span, 1) if span else 0.0,
        "span_s": round(span, 2),
        "latency": latency_summary([seconds(r["finished_at"], r["received_at"]) for r in done]),
        "in_worker": latency_summary(in_worker),
        "queue_wait": latency_summary([seconds(r["started_at"], r["received_at"]) for r in done]),
        "in_worker_p50_ms_by_type": {
            kind: round(1000 * percentile(times, 50), 1) for kind, times in sorted(by_type.items())
        },
        "tool_calls": len(calls),
        "tool_calls_not_successful": len(problems),
        "tool_call_problems": sorted(set(problems))[:10],
        "retried": sum(1 for row in rows if row["attempts"] > 1),
        "errors": sorted({row["error"] for row in rows if row["error"]})[:5],
    }
    return figures, in_worker


def checkpoint_figures(conn: psycopg.Connection[DictRow], threads: str, events: int) -> Any:
    """Checkpoint rows and bytes (row sizes as stored) of the threads matching `threads`."""
    rows = conn.execute(CHECKPOINT_ROWS_SQL, {"threads": threads}).fetchall()
    return {
        "rows": {row["table_name"]: int(row["n"]) for row in rows},
        "bytes": {row["table_name"]: int(row["bytes"]) for row in rows},
        "bytes_per_event": round(sum(int(row["bytes"]) for row in rows) / max(events, 1)),
        "rows_per_event": round(sum(int(row["n"]) for row in rows) / max(events, 1), 1),
    }


def table_sizes(conn: psycopg.Connection[DictRow]) -> dict[str, int]:
    return {row["name"]: int(row["bytes"]) for row in conn.execute(TABLE_SIZES_SQL)}


def run(events: int, concurrency: int) -> tuple[dict[str, Any], bool]:
    batch = build_events(events, seed=SEED)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="opsgraph-bench-") as tmp:
        m = measure(batch, concurrency=concurrency, tmp=Path(tmp))
    pipeline, in_worker = pipeline_figures(m.rows)
    ratio = {
        "mean": round(statistics.fmean(in_worker) / statistics.fmean(m.floor_s), 2),
        "p50": round(percentile(in_worker, 50) / percentile(m.floor_s, 50), 2),
    }
    accepted = sum(m.statuses.values())
    lost = (events - accepted) + (accepted - sum(m.statuses[s] for s in SETTLED))
    met = {
        "events_per_s": pipeline["events_per_s"] >= TARGET_EVENTS_PER_S,
        "floor_ratio": ratio["mean"] <= TARGET_FLOOR_RATIO,
        "failed": m.statuses["failed"] == 0,
        "lost": lost == 0,
    }
    figures: dict[str, Any] = {
        "events": events,
        "mix": mix_counts(events),
        "seed": SEED,
        "seeded": m.seeded,
        "worker_concurrency": concurrency,
        "senders": SENDERS,
        "loadavg_before": [round(load, 2) for load in load_before],
        "answers": dict(m.answers),
        "send_s": round(m.send_s, 2),
        "statuses": dict(m.statuses),
        "parked_for_approval": m.statuses["awaiting_approval"],
        "parked_by_type": dict(
            Counter(r["type"] for r in m.rows if r["status"] == "awaiting_approval")
        ),
        "loadavg_after": [round(load, 2) for load in os.getloadavg()],
        "failed": m.statuses["failed"],
        "lost": lost,
        "pipeline": pipeline,
        "cpu_s": m.cpu_s,
        "cpu_busy_pct": {k: round(100 * v / m.wall_s, 1) for k, v in m.cpu_s.items()},
        "floor": {
            "per_event": latency_summary(m.floor_s),
            "wall_s": round(m.floor_wall_s, 2),
            "events_per_s": round(len(m.floor_s) / m.floor_wall_s, 1),
            "cpu_ms_per_event": round(1000 * m.floor_cpu_s / len(m.floor_s), 1),
        },
        "worker_cpu_ms_per_event": round(1000 * m.cpu_s["worker"] / max(len(m.rows), 1), 1),
        "floor_ratio": ratio,
        "checkpoints": {
            "real": m.checkpoints,
            "floor": m.floor_checkpoints,
            "table_bytes_after_real": m.table_bytes,
        },
        "targets": {
            "events_per_s_min": TARGET_EVENTS_PER_S,
            "floor_ratio_max": TARGET_FLOOR_RATIO,
            "failed": 0,
            "lost": 0,
        },
        "met": met,
        "setup": SETUP,
    }
    intact = met["failed"] and met["lost"]
    if not intact:
        figures["worker_log_tail"] = m.worker_log
    return figures, intact


SETUP = (
    "opsgraph serve --no-worker + one opsgraph worker (offline playbook planner) on embedded "
    "PostgreSQL, all on this machine. Approval policy without rules: the bench measures the "
    "unattended pipeline (orders stay under the shipped high-value threshold anyway); "
    "attention items ask whatever the policy, so a dispute parks at its evidence review "
    "(parked, not counted as done). Events are POSTed as fast as "
    f"{SENDERS} clients can, so latency includes queueing. Times are the events table's: "
    "received_at -> finished_at (latency), started_at -> finished_at (in worker); events/s is "
    "done events / (last finished_at - first received_at). Floor: bench.floor in this process "
    "after the worker stopped, same saver, database, durability and concurrency; ainvoke wall "
    "time. Ratio: mean in-worker time / mean floor time."
)


def summary(figures: dict[str, Any]) -> str:
    pipe, floor, met = figures["pipeline"], figures["floor"], figures["met"]
    mark = {True: "ok", False: "MISSED"}
    real_cp, floor_cp = figures["checkpoints"]["real"], figures["checkpoints"]["floor"]
    tables = figures["checkpoints"]["table_bytes_after_real"]
    return "\n".join(
        [
            f"pipeline  {pipe['events_per_s']:>6.1f} events/s (target >= {TARGET_EVENTS_PER_S:g}"
            f" per worker; one worker, concurrency {figures['worker_concurrency']})  "
            f"[{mark[met['events_per_s']]}]",
            f"latency   p50 {pipe['latency']['p50_ms']} ms  p95 {pipe['latency']['p95_ms']} ms"
            "  (POST -> done; a burst, so mostly queueing)",
            f"in worker p50 {pipe['in_worker']['p50_ms']} ms  p95 {pipe['in_worker']['p95_ms']}"
            f" ms  mean {pipe['in_worker']['mean_ms']} ms",
            f"floor     p50 {floor['per_event']['p50_ms']} ms  mean {floor['per_event']['mean_ms']}"
            f" ms  ({floor['events_per_s']} events/s in-process, {floor['cpu_ms_per_event']} ms"
            f" CPU an event; the worker: {figures['worker_cpu_ms_per_event']} ms)",
            f"ratio     {figures['floor_ratio']['mean']:.2f}x mean, "
            f"{figures['floor_ratio']['p50']:.2f}x p50 (target <= {TARGET_FLOOR_RATIO:g}x)  "
            f"[{mark[met['floor_ratio']]}]",
            f"failed    {figures['failed']}  [{mark[met['failed']]}]   lost {figures['lost']}  "
            f"[{mark[met['lost']]}]   statuses {figures['statuses']}",
            f"tools     {pipe['tool_calls']} calls, {pipe['tool_calls_not_successful']} not "
            "successful",
            f"checkpts  {real_cp['bytes_per_event']} B/event ({real_cp['rows_per_event']} rows)"
            f"; floor {floor_cp['bytes_per_event']} B/event ({floor_cp['rows_per_event']} rows)",
            "tables    " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in tables.items()),
            "cpu busy  "
            + ", ".join(f"{k} {v}%" for k, v in figures["cpu_busy_pct"].items())
            + f"  (load average before: {figures['loadavg_before'][0]})",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument(
        "--concurrency", type=int, default=None, help="default: OPSGRAPH_WORKER_CONCURRENCY or 4"
    )
    args = parser.parse_args()
    concurrency = args.concurrency or get_settings().worker_concurrency
    print(
        f"bench.pipeline: {args.events} events, one worker at concurrency {concurrency} ...",
        flush=True,
    )
    figures, intact = run(args.events, concurrency)
    publish("pipeline", figures, summary(figures))
    return 0 if intact else 1


if __name__ == "__main__":
    sys.exit(main())
