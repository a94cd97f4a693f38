"""What one event costs the worker: CPU ms, database round trips and statements per event.

`bench.pipeline` measures throughput, which on a shared machine moves with everyone else's
load. This runs the same mix (`bench.mix`) through the worker's own `EventRunner`, in this
process, one event at a time, on embedded PostgreSQL, and counts what the load does not
change: the client's round trips (each wait on the server: a statement, a pipeline sync)
and statements, per event and per type, and the CPU of this process and of PostgreSQL.
The queue's own traffic (procrastinate fetching and finishing jobs) is not in it. The loop
is the worker's (`service.worker.worker_loop`).

Run: `python -m bench.event_cost [--events N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection, AsyncCursor

from bench.ingest import children, cpu_seconds, postgres_uri
from bench.mix import build_events, mix_counts
from bench.pipeline import NO_APPROVALS_POLICY, SEED
from bench.report import save_results
from connectors.seeding import seed_everything
from graph.routing import key_for
from runtime.events import CanonicalEvent, EventStatus, insert_event
from runtime.resources import open_resources
from runtime.settings import Settings
from service.runner import EventRunner, compile_master_graph
from service.worker import worker_loop

WARMUP = 25
"""Events run first and not counted: imports, prepared statements, caches."""


class Counts:
    """Round trips and statements seen since the last `take`."""

    def __init__(self) -> None:
        self.round_trips = 0
        self.statements = 0

    def take(self) -> tuple[int, int]:
        taken = (self.round_trips, self.statements)
        self.round_trips = self.statements = 0
        return taken


@contextmanager
def counting(counts: Counts) -> Iterator[None]:
    """Count every wait on the server (`AsyncConnection.wait`) and every statement sent."""
    wait, execute, executemany = (
        AsyncConnection.wait,
        AsyncCursor.execute,
        AsyncCursor.executemany,
    )

    def observed(gen: Generator[Any, Any, Any]) -> Generator[Any, Any, Any]:
        """`gen`, counted once if it waits on the socket at all (a COMMIT outside a
        transaction, say, returns without any I/O)."""
        try:
            wait_for = next(gen)
        except StopIteration as done:
            return done.value
        counts.round_trips += 1
        while True:
            ready = yield wait_for
            try:
                wait_for = gen.send(ready)
            except StopIteration as done:
                return done.value

    async def counted_wait(self: Any, gen: Any, *args: Any, **kwargs: Any) -> Any:
        return await wait(self, observed(gen), *args, **kwargs)

    async def counted_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts.statements += 1
        return await execute(self, *args, **kwargs)

    async def counted_executemany(self: Any, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        params = list(params_seq)
        counts.statements += len(params)
        return await executemany(self, query, params, **kwargs)

    AsyncConnection.wait = counted_wait  # type: ignore[method-assign]
    AsyncCursor.execute = counted_execute  # type: ignore[method-assign]
    AsyncCursor.executemany = counted_executemany  # type: ignore[method-assign]
    try:
        yield
    finally:
        AsyncConnection.wait = wait  # type: ignore[method-assign]
        AsyncCursor.execute = execute  # type: ignore[method-assign]
        AsyncCursor.executemany = executemany  # type: ignore[method-assign]


def postgres_cpu(pgdata: Path) -> float:
    _, postmaster = postgres_uri(pgdata)
    return cpu_seconds([postmaster, *children(postmaster)])


async def measure(events: int, tmp: Path) -> dict[str, Any]:
    policy = tmp / "policy.yaml"
    policy.write_text(NO_APPROVALS_POLICY)
    settings = Settings(data_dir=tmp / "data", policy_file=policy)
    batch = build_events(events, seed=SEED)
    counts = Counts()
    per_type: dict[str, list[tuple[int, int]]] = defaultdict(list)
    statuses: Counter[str] = Counter()
    async with open_resources(settings) as resources:
        await seed_everything(resources.pool)
        ids: list[tuple[uuid.UUID, str]] = []
        async with resources.pool.connection() as conn:
            for item in batch:
                event_id = uuid.uuid4()
                canonical = CanonicalEvent(type=item.type, entity=item.entity, payload=item.payload)
                await insert_event(
                    conn,
                    tenant_id="default",
                    source="api",
                    event=canonical,
                    event_id=event_id,
                    status=EventStatus.QUEUED,
                )
                ids.append((event_id, key_for(item.type, item.payload)))
        runner = EventRunner(resources, compile_master_graph(resources))
        pgdata = settings.embedded_pg_dir
        for event_id, _ in ids[:WARMUP]:
            await runner.run(tenant_id="default", event_id=event_id)
        measured = ids[WARMUP:]
        with counting(counts):
            pg_before, cpu_before, wall_before = (
                postgres_cpu(pgdata),
                time.process_time(),
                time.perf_counter(),
            )
            for event_id, route_key in measured:
                status = await runner.run(tenant_id="default", event_id=event_id)
                statuses[status.value if status else "none"] += 1
                per_type[route_key].append(counts.take())
            cpu_s, wall_s = time.process_time() - cpu_before, time.perf_counter() - wall_before
            pg_s = postgres_cpu(pgdata) - pg_before
    n = len(measured)
    every = [pair for pairs in per_type.values() for pair in pairs]
    return {
        "events": events,
        "warmup": WARMUP,
        "measured": n,
        "mix": mix_counts(events),
        "statuses": dict(statuses),
        "worker_cpu_ms_per_event": round(1000 * cpu_s / n, 1),
        "postgres_cpu_ms_per_event": round(1000 * pg_s / n, 1),
        "wall_ms_per_event": round(1000 * wall_s / n, 1),
        "round_trips_per_event": round(sum(r for r, _ in every) / n, 1),
        "statements_per_event": round(sum(s for _, s in every) / n, 1),
        "round_trips_by_type": {
            key: round(sum(r for r, _ in pairs) / len(pairs), 1)
            for key, pairs in sorted(per_type.items())
        },
        "statements_by_type": {
            key: round(sum(s for _, s in pairs) / len(pairs), 1)
            for key, pairs in sorted(per_type.items())
        },
        "loadavg": [round(load, 2) for load in os.getloadavg()],
        "setup": SETUP,
    }


SETUP = (
    "EventRunner.run in one process, one event at a time (no queue), on embedded PostgreSQL "
    "with the retail seed; offline playbook planner; approval policy without rules (as "
    "bench.pipeline). Round trips: AsyncConnection.wait calls that wait on the socket (one "
    "per statement outside a pipeline, one per pipeline sync); statements: cursor "
    "executes (executemany counts each parameter set). CPU: this process and PostgreSQL "
    "(postmaster and backends) over the measured events; both move "
    "with the machine's load, the counts do not."
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--save", action="store_true", help="write bench/results/event_cost.json")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="opsgraph-cost-") as tmp,
        asyncio.Runner(loop_factory=worker_loop()) as runner,  # the worker's loop
    ):
        figures = runner.run(measure(args.events, Path(tmp)))
    print(json.dumps(figures, indent=2))
    if args.save:
        print(f"saved {save_results('event_cost', figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
