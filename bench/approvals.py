"""Approval round trips: a reviewer's decision -> the paused run resumed and done, on a live
`opsgraph serve` (API + in-process worker, offline planner).

Run: `python -m bench.approvals [--approvals N] [--burst B]` (or `make bench`).
Raises N + B high-value orders (one approval each), decides N of them one at a time, then B
at once. Times come from the database's clock: `clock_timestamp()` just before each decision's
POST, and the event's `finished_at`, so polling never adds to them.
Exits 1 only when an approval was lost or a resumed run did not finish `done`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.ingest import postgres_uri
from bench.report import latency_summary, machine_context, save_results
from service.process import opsgraph_env, run_cli, serving

TENANT = "default"
TARGET_P95_MS = 500.0
WORKER_CONCURRENCY = 4
SENDERS = 4
HIGH_VALUE_TOTAL = 1000.0
"""The shipped policy's `high_value_order` threshold: every bench order is at or above it."""
TOTAL_SPREAD = 3900.0
"""Totals stay below 5,000, where `four_eyes` would ask for a second reviewer."""
MAX_PENDING = 500
"""GET /approvals answers at most this many."""
POLL_S = 0.005
PAUSE_TIMEOUT_S = 600.0
DONE_TIMEOUT_S = 30.0
HTTP_TIMEOUT_S = 90.0
"""Longer than the server's own pool timeout (30 s), so a stalled decision shows as its answer."""
WAITING = ("received", "queued", "running", "awaiting_approval")

STOCKED_VARIANTS_SQL = """
    SELECT s.item_id, s.product_id, p.doc->>'name',
           (p.doc->'variants'->s.item_id->>'price')::float, s.on_hand - s.reserved
      FROM store_stock s JOIN store_products p USING (tenant_id, product_id)
     WHERE s.tenant_id = %s AND s.on_hand - s.reserved > 0
     ORDER BY s.item_id
"""
CUSTOMERS_SQL = """
    SELECT user_id, doc->>'email' FROM store_users WHERE tenant_id = %s ORDER BY position
"""
STATUS_COUNTS_SQL = """
    SELECT status, count(*) FROM events WHERE event_id = ANY(%s::uuid[]) GROUP BY status
"""
EVENT_STATE_SQL = "SELECT status, finished_at, error FROM events WHERE event_id = %s"
EVENTS_STATE_SQL = """
    SELECT event_id::text, status, finished_at, error FROM events WHERE event_id = ANY(%s::uuid[])
"""
CLOCK_SQL = "SELECT clock_timestamp()"
FINAL_STATES_SQL = """
    SELECT e.status, a.status, count(*)
      FROM events e LEFT JOIN approvals a ON a.tenant_id = e.tenant_id AND a.event_id = e.event_id
     WHERE e.event_id = ANY(%s::uuid[])
     GROUP BY 1, 2
"""
ORDER_STATUSES_SQL = """
    SELECT status, count(*) FROM store_orders
     WHERE tenant_id = %s AND order_id = ANY(%s) GROUP BY status
"""
RESUME_JOBS_SQL = """
    SELECT j.args->>'event_id', j.status,
           min(e.at) FILTER (WHERE e.type = 'deferred'),
           min(e.at) FILTER (WHERE e.type = 'started'),
           max(e.at) FILTER (WHERE e.type IN ('succeeded', 'failed'))
      FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id
     WHERE j.task_name = 'resume_run' AND j.args->>'event_id' = ANY(%s)
     GROUP BY j.id
"""


@dataclass(frozen=True)
class Decided:
    """One decision: when it was sent (database clock), how the POST went, how the run ended."""

    event_id: str
    approval_id: str
    sent_at: datetime
    post_s: float
    http_status: int
    status: str
    finished_at: datetime | None
    error: str | None

    @property
    def done_s(self) -> float | None:
        if self.status != "done" or self.finished_at is None:
            return None
        return (self.finished_at - self.sent_at).total_seconds()


@dataclass(frozen=True)
class ResumeJob:
    status: str
    deferred_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None


def checked(done: subprocess.CompletedProcess[str], what: str) -> str:
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout.strip()


def build_orders(
    count: int, variants: list[tuple[Any, ...]], customers: list[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """`count` high-value `order.created` bodies with distinct ids (#B000001, ...), each with
    one or two lines of seeded variants that are in stock (never more than is on hand)."""
    if not variants or not customers:
        raise RuntimeError("the store has no stocked variants or no users: was it seeded?")
    left = {row[0]: int(row[4]) for row in variants}
    cursor = 0
    orders: list[dict[str, Any]] = []
    for index in range(1, count + 1):
        lines: list[dict[str, Any]] = []
        for _ in range(1 + index % 2):
            for _ in range(len(variants)):
                item_id, product_id, name, price, _ = variants[cursor % len(variants)]
                cursor += 1
                if left[item_id] > 0:
                    left[item_id] -= 1
                    lines.append(
                        {
                            "sku": item_id,
                            "product_id": product_id,
                            "name": name,
                            "quantity": 1,
                            "unit_price": float(price or 0),
                        }
                    )
                    break
        user_id, email = customers[index % len(customers)]
        order_id = f"#B{index:06d}"
        payload = {
            "order_id": order_id,
            "total": round(HIGH_VALUE_TOTAL + (index * 37.5) % TOTAL_SPREAD, 2),
            "currency": "USD",
            "email": email,
            "customer": {"id": user_id},
            "payment_method": "credit_card",
            "lines": lines,
        }
        orders.append({"type": "order.created", "entity": f"order:{order_id}", "payload": payload})
    return orders


async def post_orders(
    base_url: str, key: str, orders: list[dict[str, Any]]
) -> tuple[list[str], Counter[str]]:
    """POST every order from a few concurrent clients; the accepted event ids, and answers."""
    accepted: list[str] = []
    answers: Counter[str] = Counter()
    queue = iter(orders)

    async def sender(client: httpx.AsyncClient) -> None:
        for body in queue:
            try:
                answer = await client.post("/events", json=body)
            except httpx.HTTPError as exc:
                answers[type(exc).__name__] += 1
                continue
            answers[str(answer.status_code)] += 1
            if answer.status_code == 202:
                accepted.append(answer.json()["event_id"])

    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        await asyncio.gather(*(sender(client) for _ in range(SENDERS)))
    return accepted, answers


def wait_paused(database_uri: str, ids: list[str]) -> tuple[Counter[str], float]:
    """Poll until no event is still on its way to its approval; the statuses and seconds."""
    started = time.monotonic()
    with psycopg.connect(database_uri, autocommit=True) as conn:
        while True:
            statuses: Counter[str] = Counter(dict(conn.execute(STATUS_COUNTS_SQL, (ids,))))
            moving = sum(statuses[s] for s in WAITING if s != "awaiting_approval")
            if not moving or time.monotonic() - started > PAUSE_TIMEOUT_S:
                return statuses, time.monotonic() - started
            time.sleep(0.2)


async def pending_approvals(base_url: str, key: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        answer = await client.get("/approvals", params={"status": "pending", "limit": MAX_PENDING})
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()
    return found


async def db_now(conn: psycopg.AsyncConnection[Any]) -> datetime:
    row = await (await conn.execute(CLOCK_SQL)).fetchone()
    assert row is not None
    now: datetime = row[0]
    return now


async def settle(
    conn: psycopg.AsyncConnection[Any], event_id: str
) -> tuple[str, datetime | None, str | None]:
    """Poll one event until its resumed run finished (or DONE_TIMEOUT_S passed)."""
    deadline = time.monotonic() + DONE_TIMEOUT_S
    while True:
        row = await (await conn.execute(EVENT_STATE_SQL, (event_id,))).fetchone()
        assert row is not None
        status, finished_at, error = row
        if status not in WAITING:
            return str(status), finished_at, error
        if time.monotonic() > deadline:
            return f"timeout ({status})", None, None
        await asyncio.sleep(POLL_S)


async def post_decision(
    client: httpx.AsyncClient, approval: dict[str, Any]
) -> tuple[int, float, str]:
    """POST an accept; its HTTP status, latency, and the approval's status it answered."""
    started = time.perf_counter()
    try:
        answer = await client.post(
            f"/approvals/{approval['approval_id']}/decision", json={"type": "accept"}
        )
    except httpx.HTTPError as exc:
        return 0, time.perf_counter() - started, type(exc).__name__
    took = time.perf_counter() - started
    said = answer.json().get("status", "") if answer.status_code == 200 else answer.text[:200]
    return answer.status_code, took, str(said)


async def decide_sequentially(
    base_url: str, key: str, database_uri: str, approvals: list[dict[str, Any]]
) -> list[Decided]:
    """Accept each approval and wait for its run to finish before the next one."""
    decided: list[Decided] = []
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        httpx.AsyncClient(base_url=base_url, headers=headers, timeout=HTTP_TIMEOUT_S) as client,
        await psycopg.AsyncConnection.connect(database_uri, autocommit=True) as conn,
    ):
        await client.get("/approvals", params={"limit": 1})  # open the keep-alive connection
        for approval in approvals:
            sent_at = await db_now(conn)
            http_status, post_s, said = await post_decision(client, approval)
            if http_status == 200 and said == "decided":
                status, finished_at, error = await settle(conn, approval["event_id"])
            else:
                status, finished_at, error = f"not decided ({said})", None, None
            decided.append(
                Decided(
                    approval["event_id"],
                    approval["approval_id"],
                    sent_at,
                    post_s,
                    http_status,
                    status,
                    finished_at,
                    error,
                )
            )
    return decided


async def decide_at_once(
    base_url: str, key: str, database_uri: str, approvals: list[dict[str, Any]]
) -> tuple[list[Decided], float]:
    """Accept every approval concurrently (one connection each, opened beforehand); each
    latency runs from the burst's start. Also returns the burst's wall time to the last done."""
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=len(approvals) or 1)
    async with (
        httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=HTTP_TIMEOUT_S, limits=limits
        ) as client,
        await psycopg.AsyncConnection.connect(database_uri, autocommit=True) as conn,
    ):
        await asyncio.gather(
            *(client.get("/approvals", params={"limit": 1}) for _ in approvals)
        )  # open every connection untimed
        sent_at = await db_now(conn)
        posted = await asyncio.gather(*(post_decision(client, a) for a in approvals))
        accepted = [
            a["event_id"]
            for a, (http_status, _, said) in zip(approvals, posted, strict=True)
            if http_status == 200 and said == "decided"
        ]
        deadline = time.monotonic() + DONE_TIMEOUT_S + len(approvals)
        while True:
            rows = await (await conn.execute(EVENTS_STATE_SQL, (accepted,))).fetchall()
            if all(row[1] not in WAITING for row in rows) or time.monotonic() > deadline:
                break
            await asyncio.sleep(POLL_S)
    state = {row[0]: row[1:] for row in rows}
    decided = []
    for approval, (http_status, post_s, said) in zip(approvals, posted, strict=True):
        status, finished_at, error = state.get(
            approval["event_id"], (f"not decided ({said})", None, None)
        )
        if status in WAITING:
            status = f"timeout ({status})"
        decided.append(
            Decided(
                approval["event_id"],
                approval["approval_id"],
                sent_at,
                post_s,
                http_status,
                status,
                finished_at,
                error,
            )
        )
    finished = [d.finished_at for d in decided if d.finished_at is not None]
    wall = (max(finished) - sent_at).total_seconds() if finished else float("nan")
    return decided, wall


def resume_jobs(database_uri: str, ids: list[str]) -> dict[str, list[ResumeJob]]:
    """Each event's `resume_run` jobs with procrastinate's own deferred/started/ended times."""
    jobs: dict[str, list[ResumeJob]] = {}
    with psycopg.connect(database_uri, autocommit=True) as conn:
        for event_id, status, deferred, started, ended in conn.execute(RESUME_JOBS_SQL, (ids,)):
            jobs.setdefault(event_id, []).append(ResumeJob(status, deferred, started, ended))
    return jobs


def round_figures(decided: list[Decided], jobs: dict[str, list[ResumeJob]]) -> dict[str, Any]:
    """Latencies of one round of decisions, and where the time went."""
    done = [d for d in decided if d.done_s is not None]
    to_done = [d.done_s for d in done if d.done_s is not None]
    pickup: list[float] = []
    in_worker: list[float] = []
    for d in done:
        started = [j.started_at for j in jobs.get(d.event_id, []) if j.started_at is not None]
        if started and d.finished_at is not None:
            pickup.append((min(started) - d.sent_at).total_seconds())
            in_worker.append((d.finished_at - min(started)).total_seconds())
    problems = [d for d in decided if d.done_s is None]
    return {
        "decisions": len(decided),
        "done": len(done),
        "not_done": len(problems),
        "decision_to_done": latency_summary(to_done) | max_ms(to_done),
        "decision_post": latency_summary([d.post_s for d in decided])
        | max_ms([d.post_s for d in decided]),
        "post_to_job_started": latency_summary(pickup) | max_ms(pickup),
        "job_started_to_done": latency_summary(in_worker) | max_ms(in_worker),
        "http_statuses": dict(Counter(str(d.http_status) for d in decided)),
        "final_statuses": dict(Counter(d.status for d in decided)),
        "resume_jobs_per_event": dict(Counter(str(len(jobs.get(d.event_id, []))) for d in decided)),
        "problems": [f"{d.approval_id}: {d.status} {d.error or ''}".strip() for d in problems[:10]],
    }


def max_ms(samples_s: list[float]) -> dict[str, float]:
    return {"max_ms": round(1000 * max(samples_s), 2) if samples_s else float("nan")}


def run(approvals: int, burst: int) -> tuple[dict[str, Any], bool]:
    with tempfile.TemporaryDirectory(prefix="opsgraph-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        env = opsgraph_env(data_dir) | {
            "OPSGRAPH_MODEL": "offline",
            "OPSGRAPH_LOG_LEVEL": "WARNING",
            "OPSGRAPH_WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
        }
        seeded = checked(run_cli("store", "seed", env=env), "opsgraph store seed")
        log = Path(tmp) / "serve.log"
        with serving(env, log=log) as base_url:
            database_uri, _ = postgres_uri(data_dir / "pg")
            operator = checked(
                run_cli("keys", "create", "--role", "operator", "--name", "bench", env=env),
                "opsgraph keys create",
            )
            reviewer = checked(
                run_cli("keys", "create", "--role", "reviewer", "--name", "reviewer", env=env),
                "opsgraph keys create",
            )
            with psycopg.connect(database_uri, autocommit=True) as conn:
                variants = conn.execute(STOCKED_VARIANTS_SQL, (TENANT,)).fetchall()
                customers = conn.execute(CUSTOMERS_SQL, (TENANT,)).fetchall()
            orders = build_orders(approvals + burst, variants, customers)
            started = time.perf_counter()
            ids, answers = asyncio.run(post_orders(base_url, operator, orders))
            statuses, paused_s = wait_paused(database_uri, ids)
            pending = asyncio.run(pending_approvals(base_url, reviewer))
            mine = set(ids)
            by_event: dict[str, list[dict[str, Any]]] = {}
            for approval in pending:
                if approval["event_id"] in mine:
                    by_event.setdefault(approval["event_id"], []).append(approval)
            raised = [found[0] for found in by_event.values() if len(found) == 1]
            raised.sort(key=lambda a: str(a["created_at"]))
            rules = Counter("+".join(r["id"] for r in a["rules"]) for a in raised)
            sequential = asyncio.run(
                decide_sequentially(base_url, reviewer, database_uri, raised[:approvals])
            )
            at_once, burst_wall = asyncio.run(
                decide_at_once(base_url, reviewer, database_uri, raised[approvals:])
            )
            jobs = resume_jobs(database_uri, [d.event_id for d in sequential + at_once])
            order_ids = [order["payload"]["order_id"] for order in orders]
            with psycopg.connect(database_uri, autocommit=True) as conn:
                shipped: dict[str, int] = dict(
                    conn.execute(ORDER_STATUSES_SQL, (TENANT, order_ids)).fetchall()
                )
                final = {
                    f"event {event} / approval {approval}": count
                    for event, approval, count in conn.execute(FINAL_STATES_SQL, (ids,))
                }
            setup_s = time.perf_counter() - started
        serve_log = log.read_text()
    seq = round_figures(sequential, jobs)
    together = round_figures(at_once, jobs) | {"wall_to_last_done_ms": round(1000 * burst_wall, 1)}
    lost = (len(orders) - len(ids)) + (len(ids) - len(raised))
    failed = seq["not_done"] + together["not_done"]
    p95 = seq["decision_to_done"]["p95_ms"]
    met = {"p95": p95 <= TARGET_P95_MS, "lost": lost == 0, "failed": failed == 0}
    figures: dict[str, Any] = {
        "approvals": approvals,
        "burst": burst,
        "worker_concurrency": WORKER_CONCURRENCY,
        "seeded": seeded,
        "orders_posted": dict(answers),
        "paused": {
            "statuses": dict(statuses),
            "seconds_to_all_paused": round(paused_s, 1),
            "pending_approvals_per_event": dict(
                Counter(str(len(by_event.get(i, []))) for i in ids)
            ),
            "rules": dict(rules),
        },
        "final_states": final,
        "store_order_statuses_after": shipped,
        "server_log": {
            "tracebacks": serve_log.count("Traceback (most recent call last)"),
            "pool_timeouts": serve_log.count("PoolTimeout: couldn't get a connection"),
        },
        "sequential": seq,
        "burst_round": together,
        "lost": lost,
        "failed": failed,
        "targets": {"sequential_p95_ms_max": TARGET_P95_MS, "lost": 0, "failed": 0},
        "met": met,
        "wall_s": round(setup_s, 1),
        "setup": (
            "opsgraph serve (API + in-process worker, offline planner) on embedded PostgreSQL, "
            "all on this machine; high-value order.created events pause at the "
            "high_value_order approval. Sequential: one accept at a time, the next only after "
            "the run finished. Latency: DB clock_timestamp() just before the POST -> the "
            "event's finished_at; post_to_job_started uses procrastinate_events 'started'. "
            "Burst: every accept POSTed at once; latencies from the burst's start."
        ),
    }
    if not (met["lost"] and met["failed"]):
        figures["serve_log_tail"] = serve_log[-4000:]
    return figures, met["lost"] and met["failed"]


def summary(figures: dict[str, Any]) -> str:
    seq, burst, met = figures["sequential"], figures["burst_round"], figures["met"]
    mark = {True: "ok", False: "MISSED"}

    def line(name: str, figures: dict[str, float]) -> str:
        return (
            f"{name:<22} p50 {figures['p50_ms']:>7} ms  p95 {figures['p95_ms']:>7} ms  "
            f"p99 {figures['p99_ms']:>7} ms  max {figures['max_ms']:>7} ms"
        )

    return "\n".join(
        [
            f"sequential: {seq['done']}/{seq['decisions']} done",
            line("  decision -> done", seq["decision_to_done"])
            + f"  [{mark[met['p95']]}: p95 <= {TARGET_P95_MS:g} ms]",
            line("  decision POST", seq["decision_post"]),
            line("  POST -> job started", seq["post_to_job_started"]),
            line("  job started -> done", seq["job_started_to_done"]),
            f"burst of {burst['decisions']}: {burst['done']} done, last after "
            f"{burst['wall_to_last_done_ms']} ms",
            line("  decision -> done", burst["decision_to_done"]),
            line("  decision POST", burst["decision_post"]),
            f"lost {figures['lost']}  [{mark[met['lost']]}]   failed {figures['failed']}  "
            f"[{mark[met['failed']]}]   rules {figures['paused']['rules']}",
            f"orders after: {figures['store_order_statuses_after']} (accepted -> processed)",
            f"final: {figures['final_states']}   server log: {figures['server_log']}",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--approvals", type=int, default=200, help="decided one at a time")
    parser.add_argument("--burst", type=int, default=20, help="then decided all at once")
    args = parser.parse_args()
    if args.approvals < 1 or args.burst < 0 or args.approvals + args.burst > MAX_PENDING:
        parser.error(f"need 1 <= --approvals and 0 <= --burst, together <= {MAX_PENDING}")
    print(
        f"bench.approvals: {args.approvals} approvals one at a time, then {args.burst} at once ...",
        flush=True,
    )
    figures, intact = run(args.approvals, args.burst)
    path = save_results("approvals", figures)
    print(summary(figures))
    print(json.dumps({"context": machine_context(), **figures}, indent=2))
    print(f"saved {path}")
    return 0 if intact else 1


if __name__ == "__main__":
    sys.exit(main())
