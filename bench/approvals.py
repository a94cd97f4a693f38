"""Approval round trips: a reviewer's decision -> the paused run resumed and done, on a live
`opsgraph serve` (API + in-process worker, offline planner).

Run: `python -m bench.approvals [--approvals N] [--burst B]` (or `make bench`).
Raises N + B high-value orders (one approval each), accepts N of them one at a time, then B
at once. Latency runs on the database's clock, from `clock_timestamp()` just before the
decision's POST to the event's `finished_at`, so polling adds nothing to it.
Exits 1 only when an approval was lost or a decision did not end in a `done` run.
"""

from __future__ import annotations

import argparse
import asyncio
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

from bench.client import post_events
from bench.ingest import postgres_uri
from bench.report import latency_summary, publish
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
"""Longer than the server's pool timeout (30 s): a stalled decision shows as its answer."""
WAITING = ("received", "queued", "running", "awaiting_approval")

Row = tuple[Any, ...]
State = tuple[str, datetime | None, str | None]
"""An event's status (or `timeout (<status>)`), finished_at and error."""

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
EVENT_STATES_SQL = """
    SELECT event_id::text, status, finished_at, error FROM events WHERE event_id = ANY(%s::uuid[])
"""
CLOCK_SQL = "SELECT clock_timestamp()"
JOB_STARTS_SQL = """
    SELECT j.args->>'event_id', count(DISTINCT j.id), min(e.at)
      FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id
     WHERE j.task_name = 'resume_run' AND e.type = 'started' AND j.args->>'event_id' = ANY(%s)
     GROUP BY 1
"""
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


@dataclass(frozen=True)
class Decided:
    """One accept: when it was sent (database clock), how its POST went, how the run ended."""

    event_id: str
    approval_id: str
    sent_at: datetime
    post_s: float
    http_status: int
    state: State

    @property
    def done_s(self) -> float | None:
        status, finished_at, _ = self.state
        if status != "done" or finished_at is None:
            return None
        return (finished_at - self.sent_at).total_seconds()


def checked(done: subprocess.CompletedProcess[str], what: str) -> str:
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout.strip()


def build_orders(count: int, variants: list[Row], customers: list[Row]) -> list[dict[str, Any]]:
    """`count` high-value `order.created` bodies with distinct ids (#B000001, ...), each with
    one or two lines of seeded variants in stock (never more than is on hand)."""
    if not variants or not customers:
        raise RuntimeError("the store has no stocked variants or no users: was it seeded?")
    left = {row[0]: int(row[4]) for row in variants}
    turn = 0
    orders: list[dict[str, Any]] = []
    for index in range(1, count + 1):
        lines: list[dict[str, Any]] = []
        for _ in range(1 + index % 2):
            for _ in range(len(variants)):
                item_id, product_id, name, price, _ = variants[turn % len(variants)]
                turn += 1
                if left[item_id] > 0:
                    left[item_id] -= 1
                    line = {"sku": item_id, "product_id": product_id, "name": name}
                    lines.append(line | {"quantity": 1, "unit_price": float(price or 0)})
                    break
        user_id, email = customers[index % len(customers)]
        payload = {
            "order_id": f"#B{index:06d}",
            "total": round(HIGH_VALUE_TOTAL + (index * 37.5) % TOTAL_SPREAD, 2),
            "currency": "USD",
            "email": email,
            "customer": {"id": user_id},
            "payment_method": "credit_card",
            "lines": lines,
        }
        entity = f"order:{payload['order_id']}"
        orders.append({"type": "order.created", "entity": entity, "payload": payload})
    return orders


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
    conn: psycopg.AsyncConnection[Any], ids: list[str], timeout_s: float
) -> dict[str, State]:
    """Poll every POLL_S until none of `ids` is waiting or running (or `timeout_s` passed)."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = await (await conn.execute(EVENT_STATES_SQL, (ids,))).fetchall()
        if all(row[1] not in WAITING for row in rows) or time.monotonic() > deadline:
            return {
                event_id: (status if status not in WAITING else f"timeout ({status})", at, error)
                for event_id, status, at, error in rows
            }
        await asyncio.sleep(POLL_S)


async def post_accept(
    client: httpx.AsyncClient, approval: dict[str, Any]
) -> tuple[int, float, str]:
    """POST an accept; its HTTP status, latency, and the approval status it answered."""
    started = time.perf_counter()
    try:
        answer = await client.post(
            f"/approvals/{approval['approval_id']}/decision", json={"type": "accept"}
        )
    except httpx.HTTPError as exc:
        return 0, time.perf_counter() - started, type(exc).__name__
    said = answer.json().get("status") if answer.status_code == 200 else answer.text[:200]
    return answer.status_code, time.perf_counter() - started, str(said)


async def decide(
    base_url: str, key: str, database_uri: str, approvals: list[dict[str, Any]], *, at_once: bool
) -> list[Decided]:
    """Accept each approval and wait for its run before the next one; or (`at_once`) accept
    them all concurrently, each on a connection opened beforehand, timed from the start."""
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=len(approvals) if at_once and approvals else 1)
    decided: list[Decided] = []
    async with (
        httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=HTTP_TIMEOUT_S, limits=limits
        ) as client,
        await psycopg.AsyncConnection.connect(database_uri, autocommit=True) as conn,
    ):
        warm = approvals if at_once else approvals[:1]
        await asyncio.gather(*(client.get("/approvals", params={"limit": 1}) for _ in warm))
        rounds = [approvals] if at_once else [[approval] for approval in approvals]
        for batch in rounds:
            sent_at = await db_now(conn)
            posted = await asyncio.gather(*(post_accept(client, a) for a in batch))
            accepted = [
                a["event_id"]
                for a, (http_status, _, said) in zip(batch, posted, strict=True)
                if http_status == 200 and said == "decided"
            ]
            states = await settle(conn, accepted, DONE_TIMEOUT_S + len(accepted))
            for approval, (http_status, post_s, said) in zip(batch, posted, strict=True):
                state = states.get(approval["event_id"], (f"not decided ({said})", None, None))
                decided.append(
                    Decided(
                        approval["event_id"],
                        approval["approval_id"],
                        sent_at,
                        post_s,
                        http_status,
                        state,
                    )
                )
    return decided


def job_starts(database_uri: str, ids: list[str]) -> dict[str, tuple[int, datetime]]:
    """Per event: how many `resume_run` jobs started, and when the first did (procrastinate's
    own `started` event)."""
    with psycopg.connect(database_uri, autocommit=True) as conn:
        rows = conn.execute(JOB_STARTS_SQL, (ids,)).fetchall()
    return {event_id: (int(jobs), at) for event_id, jobs, at in rows}


def with_max(samples_s: list[float]) -> dict[str, float]:
    worst = round(1000 * max(samples_s), 2) if samples_s else float("nan")
    return latency_summary(samples_s) | {"max_ms": worst}


def round_figures(
    decided: list[Decided], starts: dict[str, tuple[int, datetime]]
) -> dict[str, Any]:
    """Latencies of one round of decisions, and where the time went."""
    done = [d for d in decided if d.done_s is not None]
    picked = [(d, starts[d.event_id][1]) for d in done if d.event_id in starts]
    finished = [d.state[1] for d in decided if d.state[1] is not None]
    problems = [d for d in decided if d.done_s is None]
    return {
        "decisions": len(decided),
        "done": len(done),
        "not_done": len(problems),
        "decision_to_done": with_max([d.done_s for d in done if d.done_s is not None]),
        "decision_post": with_max([d.post_s for d in decided]),
        "post_to_job_started": with_max([(at - d.sent_at).total_seconds() for d, at in picked]),
        "job_started_to_done": with_max(
            [(d.state[1] - at).total_seconds() for d, at in picked if d.state[1] is not None]
        ),
        "first_to_last_done_ms": round(
            1000 * (max(finished) - min(d.sent_at for d in decided)).total_seconds(), 1
        )
        if finished
        else None,
        "http_statuses": dict(Counter(str(d.http_status) for d in decided)),
        "final_statuses": dict(Counter(d.state[0] for d in decided)),
        "resume_jobs_per_event": dict(
            Counter(str(starts.get(d.event_id, (0,))[0]) for d in decided)
        ),
        "problems": [f"{d.approval_id}: {d.state[0]} {d.state[2] or ''}" for d in problems][:10],
    }


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
            operator, reviewer = (
                checked(
                    run_cli("keys", "create", "--role", role, "--name", f"bench-{role}", env=env),
                    "opsgraph keys create",
                )
                for role in ("operator", "reviewer")
            )
            with psycopg.connect(database_uri, autocommit=True) as conn:
                variants = conn.execute(STOCKED_VARIANTS_SQL, (TENANT,)).fetchall()
                customers = conn.execute(CUSTOMERS_SQL, (TENANT,)).fetchall()
            orders = build_orders(approvals + burst, variants, customers)
            ids, answers = asyncio.run(post_events(base_url, operator, orders, senders=SENDERS))
            statuses, paused_s = wait_paused(database_uri, ids)
            by_event: dict[str, list[dict[str, Any]]] = {event_id: [] for event_id in ids}
            for approval in asyncio.run(pending_approvals(base_url, reviewer)):
                by_event.get(approval["event_id"], []).append(approval)
            raised = sorted(
                (found[0] for found in by_event.values() if len(found) == 1),
                key=lambda a: str(a["created_at"]),
            )
            one_by_one = asyncio.run(
                decide(base_url, reviewer, database_uri, raised[:approvals], at_once=False)
            )
            together = asyncio.run(
                decide(base_url, reviewer, database_uri, raised[approvals:], at_once=True)
            )
            starts = job_starts(database_uri, ids)
            with psycopg.connect(database_uri, autocommit=True) as conn:
                order_ids = [order["payload"]["order_id"] for order in orders]
                shipped: dict[str, int] = dict(
                    conn.execute(ORDER_STATUSES_SQL, (TENANT, order_ids)).fetchall()
                )
                final = {
                    f"event {event} / approval {approval}": count
                    for event, approval, count in conn.execute(FINAL_STATES_SQL, (ids,))
                }
        serve_log = log.read_text()
    seq, at_once = round_figures(one_by_one, starts), round_figures(together, starts)
    lost = len(orders) - len(raised)
    failed = seq["not_done"] + at_once["not_done"]
    met = {
        "p95": seq["decision_to_done"]["p95_ms"] <= TARGET_P95_MS,
        "lost": lost == 0,
        "failed": failed == 0,
        "burst_p95": at_once["decision_to_done"]["p95_ms"] <= TARGET_P95_MS if burst else None,
    }
    figures: dict[str, Any] = {
        "approvals": approvals,
        "burst": burst,
        "worker_concurrency": WORKER_CONCURRENCY,
        "seeded": seeded,
        "orders_posted": dict(answers),
        "paused": {
            "statuses": dict(statuses),
            "seconds_to_all_paused": round(paused_s, 1),
            "pending_approvals_per_event": dict(Counter(str(len(a)) for a in by_event.values())),
            "rules": dict(Counter("+".join(r["id"] for r in a["rules"]) for a in raised)),
        },
        "sequential": seq,
        "burst_round": at_once,
        "final_states": final,
        "store_order_statuses_after": shipped,
        "server_log": {
            "tracebacks": serve_log.count("Traceback (most recent call last)"),
            "pool_timeouts": serve_log.count("PoolTimeout: couldn't get a connection"),
        },
        "lost": lost,
        "failed": failed,
        "targets": {"decision_to_done_p95_ms_max": TARGET_P95_MS, "lost": 0, "failed": 0},
        "met": met,
        "setup": (
            "opsgraph serve (API + in-process worker, offline planner) on embedded PostgreSQL, "
            "all on this machine; high-value order.created events pause at the "
            "high_value_order approval. Sequential: one accept at a time, the next once its "
            "run finished (the target applies here). Latency: DB clock_timestamp() just "
            "before the POST -> the event's finished_at; post_to_job_started uses "
            "procrastinate's 'started' event. Burst: every accept POSTed at once, latencies "
            "from the burst's start."
        ),
    }
    if not (met["lost"] and met["failed"]):
        figures["serve_log_tail"] = serve_log[-4000:]
    return figures, bool(met["lost"] and met["failed"])


def summary(figures: dict[str, Any]) -> str:
    seq, burst, met = figures["sequential"], figures["burst_round"], figures["met"]
    mark = {True: "ok", False: "MISSED", None: "-"}

    def line(name: str, ms: dict[str, float]) -> str:
        return (
            f"  {name:<20} p50 {ms['p50_ms']:>8} ms  p95 {ms['p95_ms']:>8} ms  "
            f"p99 {ms['p99_ms']:>8} ms  max {ms['max_ms']:>8} ms"
        )

    return "\n".join(
        [
            f"sequential: {seq['done']}/{seq['decisions']} done",
            line("decision -> done", seq["decision_to_done"])
            + f"  [{mark[met['p95']]}: p95 <= {TARGET_P95_MS:g} ms]",
            line("decision POST", seq["decision_post"]),
            line("POST -> job started", seq["post_to_job_started"]),
            line("job started -> done", seq["job_started_to_done"]),
            f"burst of {burst['decisions']}: {burst['done']} done, answers "
            f"{burst['http_statuses']}, last done after {burst['first_to_last_done_ms']} ms",
            line("decision -> done", burst["decision_to_done"]) + f"  [{mark[met['burst_p95']]}]",
            line("decision POST", burst["decision_post"]),
            f"lost {figures['lost']}  [{mark[met['lost']]}]   failed {figures['failed']}  "
            f"[{mark[met['failed']]}]   rules {figures['paused']['rules']}",
            f"orders after: {figures['store_order_statuses_after']} (accepted -> processed)",
            f"final: {figures['final_states']}   server log: {figures['server_log']}",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--approvals", type=int, default=200, help="accepted one at a time")
    parser.add_argument("--burst", type=int, default=20, help="then accepted all at once")
    args = parser.parse_args()
    if args.approvals < 1 or args.burst < 0 or args.approvals + args.burst > MAX_PENDING:
        parser.error(f"need --approvals >= 1, --burst >= 0, together <= {MAX_PENDING}")
    print(
        f"bench.approvals: {args.approvals} approvals one at a time, then {args.burst} at once ...",
        flush=True,
    )
    figures, intact = run(args.approvals, args.burst)
    publish("approvals", figures, summary(figures))
    return 0 if intact else 1


if __name__ == "__main__":
    sys.exit(main())
