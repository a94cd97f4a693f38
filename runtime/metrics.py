"""Prometheus metrics: read from the database at scrape time, plus what only a process sees.

The database is the one place every process writes to, so queue depth, events, approvals,
chat turns and the business gauges are counted there when `/metrics` is scraped, and run
durations, specialist and tool outcomes are tallied from it a batch of finished events at a
time (`runtime.metrics_tally`), model calls and the knowledge-base searches runs make a
batch of recorded rows at a time (`runtime.model_calls`, `runtime.kb_searches`): the
figures are right however many API and worker processes run, and a worker needs no endpoint
of its own. What never reaches the database (a webhook answered 401, how long an answer
took) is counted in the process that answers, in a registry built by `ProcessMetrics`
(never the client's global one).

Label values are bounded: names the caller does not list as known are reported as `other`,
and no label carries an id.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from runtime.database import Pool
from runtime.kb_searches import KbSearchTally
from runtime.metrics_tally import FinishedTally
from runtime.model_calls import ModelCallTally

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
OTHER = "other"


class ProcessMetrics:
    """Counters only this process can see (webhook answers and latencies, KB search latency),
    and its tallies of finished events, recorded model calls and in-run KB searches."""

    def __init__(
        self,
        tally: FinishedTally,
        model_calls: ModelCallTally | None = None,
        kb_searches: KbSearchTally | None = None,
    ) -> None:
        self.tally = tally
        self.model_calls = model_calls or ModelCallTally()
        self.kb_searches = kb_searches or KbSearchTally()
        self.registry = CollectorRegistry(auto_describe=True)
        self.webhooks = Counter(
            "opsgraph_webhooks_received",
            "Webhook deliveries answered, by source and HTTP status.",
            ["source", "answer"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "opsgraph_webhook_ack_seconds",
            "Time from a webhook request's arrival to its answer.",
            ["source"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.kb_search_seconds = Histogram(
            "opsgraph_kb_search_seconds",
            "Time to answer a knowledge-base search over HTTP.",
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )

    def observe_webhook(self, source: str, status: int, seconds: float) -> None:
        self.webhooks.labels(source=source, answer=str(status)).inc()
        self.ack_seconds.labels(source=source).observe(seconds)


@dataclass
class StoreSnapshot:
    """The rows one scrape read; `families()` turns them into metric families."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def families(self) -> Iterator[Metric]:
        yield from queue_families(self.rows)
        yield from event_families(self.rows)
        yield from approval_families(self.rows)
        yield from business_families(self.rows)


QUERIES: dict[str, str] = {
    "jobs": """
        SELECT j.status::text AS status, count(*) AS n,
               coalesce(extract(epoch FROM now() - min(d.at)), 0) AS oldest
          FROM procrastinate_jobs j
          LEFT JOIN procrastinate_events d ON d.job_id = j.id AND d.type = 'deferred'
         WHERE j.status IN ('todo', 'doing')
         GROUP BY j.status
    """,
    "workers": """
        SELECT count(*) AS n,
               coalesce(extract(epoch FROM now() - max(last_heartbeat)), 0) AS newest_age
          FROM procrastinate_workers
    """,
    "events": """
        SELECT CASE WHEN type = ANY(%(types)s) THEN type ELSE 'other' END AS type,
               status, count(*) AS n, sum(greatest(attempts - 1, 0)) AS retries
          FROM events GROUP BY 1, 2
    """,
    "approvals": """
        SELECT kind, status,
               CASE WHEN status = 'decided'
                    THEN coalesce(decision ->> 'type', 'none') ELSE '' END AS decision,
               count(*) AS n,
               coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest
          FROM approvals GROUP BY 1, 2, 3
    """,
    "chat_turns": """
        SELECT status, count(*) AS n FROM runs WHERE kind = 'input' GROUP BY 1
    """,
    "awaiting_fulfilment": """
        SELECT count(DISTINCT (tenant_id, order_id)) AS n,
               coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest
          FROM store_reservations WHERE status = 'reserved'
    """,
    "reorders": "SELECT status, count(*) AS n FROM store_reorders GROUP BY 1",
    "content": "SELECT status, count(*) AS n FROM store_content GROUP BY 1",
    "onboarded": """
        SELECT count(*) AS n, count(welcomed_at) AS welcomed FROM store_customer_profiles
    """,
}


async def read_store(pool: Pool, *, event_types: Sequence[str]) -> StoreSnapshot:
    """One scrape's reads, in one read-only transaction (a consistent view); event types
    not in `event_types` count as `other`."""
    params = {"types": list(event_types)}
    snapshot = StoreSnapshot()
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for name, sql in QUERIES.items():
            cursor = await conn.execute(sql, params if "%(" in sql else None)
            snapshot.rows[name] = [dict(row) for row in await cursor.fetchall()]
    return snapshot


def gauge(name: str, doc: str, labels: Sequence[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels))


def counter(name: str, doc: str, labels: Sequence[str] = ()) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, labels=list(labels))


def queue_families(rows: dict[str, list[dict[str, Any]]]) -> Iterator[Metric]:
    depth = gauge("opsgraph_queue_jobs", "Jobs waiting (todo) or running (doing).", ["status"])
    oldest = gauge(
        "opsgraph_queue_oldest_job_age_seconds", "Age of the oldest waiting job.", ["status"]
    )
    seen = {row["status"]: row for row in rows.get("jobs", [])}
    for status in ("todo", "doing"):
        row = seen.get(status, {"n": 0, "oldest": 0})
        depth.add_metric([status], float(row["n"]))
        oldest.add_metric([status], float(row["oldest"]))
    yield depth
    yield oldest
    workers = rows.get("workers") or [{"n": 0, "newest_age": 0}]
    yield gauge_of("opsgraph_workers", "Workers registered with the queue.", workers[0]["n"])
    yield gauge_of(
        "opsgraph_worker_heartbeat_age_seconds",
        "Seconds since the most recent worker heartbeat.",
        workers[0]["newest_age"],
    )


def gauge_of(name: str, doc: str, value: Any) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=float(value or 0))


def event_families(rows: dict[str, list[dict[str, Any]]]) -> Iterator[Metric]:
    events = gauge(
        "opsgraph_events", "Inbox events by type and current status.", ["type", "status"]
    )
    retries = counter(
        "opsgraph_event_retries",
        "Runs of an event beyond its first (the queue's retries after a failure, and replays).",
        ["type"],
    )
    retried: Tally[str] = Tally()
    for row in rows.get("events", []):
        events.add_metric([row["type"], row["status"]], float(row["n"]))
        retried[row["type"]] += int(row.get("retries") or 0)
    for event_type, n in sorted(retried.items()):
        retries.add_metric([event_type], float(n))
    yield events
    yield retries
    turns = counter("opsgraph_chat_turns", "Chat turns (input runs) by status.", ["status"])
    for row in rows.get("chat_turns", []):
        turns.add_metric([row["status"]], float(row["n"]))
    yield turns


def approval_families(rows: dict[str, list[dict[str, Any]]]) -> Iterator[Metric]:
    pending = gauge(
        "opsgraph_approvals_pending", "Approvals and attention items pending.", ["kind"]
    )
    oldest = gauge(
        "opsgraph_approval_oldest_pending_age_seconds",
        "Age of the oldest pending approval or attention item.",
        ["kind"],
    )
    decided = counter(
        "opsgraph_approval_decisions", "Decided approvals by kind and decision.", ["kind", "type"]
    )
    expired = counter("opsgraph_approvals_expired", "Approvals that expired.", ["kind"])
    found: dict[str, dict[str, Any]] = {}
    for row in rows.get("approvals", []):
        if row["status"] == "pending":
            found[row["kind"]] = row
        elif row["status"] == "decided":
            decided.add_metric([row["kind"], decision_label(row["decision"])], float(row["n"]))
        elif row["status"] == "expired":
            expired.add_metric([row["kind"]], float(row["n"]))
    for kind in ("approval", "attention"):
        row = found.get(kind, {"n": 0, "oldest": 0})
        pending.add_metric([kind], float(row["n"]))
        oldest.add_metric([kind], float(row["oldest"]))
    yield from (pending, oldest, decided, expired)


def decision_label(value: str) -> str:
    return value if value in {"accept", "edit", "response", "ignore", "none"} else OTHER


def business_families(rows: dict[str, list[dict[str, Any]]]) -> Iterator[Metric]:
    waiting = (rows.get("awaiting_fulfilment") or [{"n": 0, "oldest": 0}])[0]
    yield gauge_of(
        "opsgraph_orders_awaiting_fulfilment",
        "Orders with stock reserved and not yet shipped.",
        waiting["n"],
    )
    yield gauge_of(
        "opsgraph_order_oldest_awaiting_fulfilment_seconds",
        "Age of the oldest reservation not yet shipped.",
        waiting["oldest"],
    )
    reorders = gauge("opsgraph_reorders", "Reorder proposals (stock-outs) by status.", ["status"])
    for row in rows.get("reorders", []):
        reorders.add_metric([row["status"]], float(row["n"]))
    yield reorders
    content = gauge(
        "opsgraph_content", "Content pieces produced, by status (draft, published).", ["status"]
    )
    for row in rows.get("content", []):
        content.add_metric([row["status"]], float(row["n"]))
    yield content
    onboarded = (rows.get("onboarded") or [{"n": 0, "welcomed": 0}])[0]
    yield gauge_of(
        "opsgraph_customers_onboarded",
        "Customers with a stored profile (onboarding completed).",
        onboarded["n"],
    )
    yield gauge_of(
        "opsgraph_customers_welcomed",
        "Onboarded customers sent the welcome mail.",
        onboarded["welcomed"],
    )


class SnapshotCollector(Collector):
    """Hands a snapshot's families to a registry for one exposition."""

    def __init__(self, snapshot: StoreSnapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterable[Metric]:
        return list(self.snapshot.families())


class TallyCollector(Collector):
    def __init__(self, tally: FinishedTally | ModelCallTally | KbSearchTally) -> None:
        self.tally = tally

    def collect(self) -> Iterable[Metric]:
        return list(self.tally.families())


def exposition(process: ProcessMetrics, snapshot: StoreSnapshot) -> bytes:
    """The text format: the store's families, then this process's counters."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot))
    registry.register(TallyCollector(process.tally))
    registry.register(TallyCollector(process.model_calls))
    registry.register(TallyCollector(process.kb_searches))
    return generate_latest(registry) + generate_latest(process.registry)
