"""Prometheus metrics: read from the database at scrape time, plus what only a process sees.

The database is the one place every process writes to, so queue depth, events, approvals,
specialist and tool outcomes, chat turns and the business gauges are counted there when
`/metrics` is scraped: the figures are right however many API and worker processes run, and
a worker needs no endpoint of its own. What never reaches the database (a webhook answered
401, how long an answer took) is counted in the process that answers, in a registry built by
`ProcessMetrics` (never the client's global one).

Label values are bounded: names the caller does not list as known are reported as `other`,
and no label carries an id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from runtime.database import Pool

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
RUN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
OTHER = "other"


class ProcessMetrics:
    """Counters only this process can see: webhook answers and latencies, KB search latency."""

    def __init__(self) -> None:
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


@dataclass(frozen=True)
class KnownNames:
    """The label values the code defines; anything else in the rows counts as `other`."""

    event_types: Sequence[str] = ()
    specialists: Sequence[str] = ()
    tools: Sequence[str] = ()


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
               status, count(*) AS n
          FROM events GROUP BY 1, 2
    """,
    "run_buckets": """
        SELECT CASE WHEN type = ANY(%(types)s) THEN type ELSE 'other' END AS type, le,
               count(*) FILTER (WHERE extract(epoch FROM finished_at - started_at) <= le) AS n
          FROM events CROSS JOIN unnest(%(buckets)s::float8[]) AS le
         WHERE finished_at IS NOT NULL AND started_at IS NOT NULL
         GROUP BY 1, 2
    """,
    "run_totals": """
        SELECT CASE WHEN type = ANY(%(types)s) THEN type ELSE 'other' END AS type,
               count(*) AS n, sum(extract(epoch FROM finished_at - started_at)) AS total
          FROM events
         WHERE finished_at IS NOT NULL AND started_at IS NOT NULL
         GROUP BY 1
    """,
    "specialists": """
        SELECT CASE WHEN o ->> 'specialist' = ANY(%(specialists)s)
                    THEN o ->> 'specialist' ELSE 'other' END AS specialist,
               CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(o -> 'tool_calls') c
                                  WHERE c ->> 'status' = 'awaiting_approval')
                      THEN 'awaiting_approval'
                    WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(o -> 'tool_calls') c
                                  WHERE c ->> 'status' IN ('error', 'missing'))
                      THEN 'failure'
                    ELSE 'success' END AS outcome,
               count(*) AS n
          FROM events, jsonb_array_elements(timeline) AS o
         WHERE jsonb_typeof(timeline) = 'array'
         GROUP BY 1, 2
    """,
    "tools": """
        SELECT CASE WHEN c ->> 'name' = ANY(%(tools)s) THEN c ->> 'name' ELSE 'other' END
                 AS tool,
               CASE WHEN c ->> 'status' IN ('success', 'error', 'awaiting_approval')
                    THEN c ->> 'status' ELSE 'other' END AS outcome,
               count(*) AS n
          FROM events, jsonb_array_elements(timeline) AS o,
               jsonb_array_elements(o -> 'tool_calls') AS c
         WHERE jsonb_typeof(timeline) = 'array' AND jsonb_typeof(o -> 'tool_calls') = 'array'
         GROUP BY 1, 2
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
    "onboarded": """
        SELECT count(*) AS n, count(welcomed_at) AS welcomed FROM store_customer_profiles
    """,
}


async def read_store(pool: Pool, known: KnownNames) -> StoreSnapshot:
    """One scrape's reads, in one read-only transaction (a consistent view)."""
    params = {
        "types": list(known.event_types),
        "specialists": list(known.specialists),
        "tools": list(known.tools),
        "buckets": list(RUN_BUCKETS),
    }
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
    for row in rows.get("events", []):
        events.add_metric([row["type"], row["status"]], float(row["n"]))
    yield events
    yield run_histogram(rows.get("run_buckets", []), rows.get("run_totals", []))
    specialists = counter(
        "opsgraph_specialist_runs",
        "Specialist runs recorded in event timelines, by outcome.",
        ["specialist", "outcome"],
    )
    for row in settled(rows.get("specialists", [])):
        specialists.add_metric([row["specialist"], row["outcome"]], float(row["n"]))
    yield specialists
    tools = counter(
        "opsgraph_tool_calls", "Tool calls in event timelines, by outcome.", ["tool", "outcome"]
    )
    for row in settled(rows.get("tools", [])):
        tools.add_metric([row["tool"], row["outcome"]], float(row["n"]))
    yield tools
    turns = counter("opsgraph_chat_turns", "Chat turns (input runs) by status.", ["status"])
    for row in rows.get("chat_turns", []):
        turns.add_metric([row["status"]], float(row["n"]))
    yield turns


def settled(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Rows whose outcome is final: a paused call's entry is replaced when its run resumes,
    and a counter must not go down."""
    return (row for row in rows if row["outcome"] != "awaiting_approval")


def run_histogram(
    buckets: Iterable[dict[str, Any]], totals: Iterable[dict[str, Any]]
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(
        "opsgraph_event_run_seconds",
        "Time from an event's start to its finish, by event type.",
        labels=["type"],
    )
    counts: dict[str, dict[float, float]] = {}
    for row in buckets:
        counts.setdefault(row["type"], {})[float(row["le"])] = float(row["n"])
    for row in totals:
        by_le = counts.get(row["type"], {})
        pairs = [(format_le(le), by_le.get(le, 0.0)) for le in RUN_BUCKETS]
        pairs.append(("+Inf", float(row["n"])))
        family.add_metric([row["type"]], pairs, float(row["total"] or 0))
    return family


def format_le(le: float) -> str:
    return repr(float(le))


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


def exposition(process: ProcessMetrics, snapshot: StoreSnapshot) -> bytes:
    """The text format: the store's families, then this process's counters."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot))
    return generate_latest(registry) + generate_latest(process.registry)
