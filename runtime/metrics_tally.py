"""Counters over finished events, kept up to date a batch at a time instead of re-read.

Expanding every event's timeline at every scrape costs ~50 µs an event (1.2 s at 12,000
events, measured), so the counts derived from timelines and run durations are tallied in
the process that serves `/metrics`: each scrape reads only the events finished since the
last one (`runtime.keyset_tally`, over `(finished_at, event_id)`), at most `batch` of them,
so a fresh process catches up over a few scrapes. A replayed event finishes again and
counts again: that is another run.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from prometheus_client.core import CounterMetricFamily, Metric

from runtime.histogram import TallyHistogram
from runtime.keyset_tally import KeysetTally

RUN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
FULFILMENT_BUCKETS = (5.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0, 259200.0)
OTHER = "other"
TOOL_OUTCOMES = frozenset({"success", "error"})

FINISHED_SQL = """
SELECT event_id, finished_at, type, timeline,
       greatest(extract(epoch FROM finished_at - started_at), 0) AS seconds,
       greatest(extract(epoch FROM finished_at - occurred_at), 0) AS since_occurred
  FROM events
 WHERE finished_at IS NOT NULL
   AND finished_at < now() - make_interval(secs => %(settle_s)s)
   AND (finished_at, event_id) > (%(after_at)s, %(after_id)s)
 ORDER BY finished_at, event_id
 LIMIT %(batch)s
"""


class FinishedTally(KeysetTally):
    """Run durations by event type, specialist runs and tool calls by outcome."""

    sql = FINISHED_SQL
    key_columns = ("finished_at", "event_id")
    first_id = uuid.UUID(int=0)

    def __init__(
        self,
        *,
        event_types: Sequence[str],
        specialists: Sequence[str],
        tools: Sequence[str],
        fulfilment_tools: Sequence[str] = (),
        settle_s: float = 2.0,
        batch: int = 2000,
    ) -> None:
        super().__init__(settle_s=settle_s, batch=batch)
        self.event_types = frozenset(event_types)
        self.specialists = frozenset(specialists)
        self.tools = frozenset(tools)
        self.fulfilment_tools = frozenset(fulfilment_tools)
        self.fulfilment = TallyHistogram(FULFILMENT_BUCKETS, shown=("",))
        self.specialist_runs: Counter[tuple[str, str]] = Counter()
        self.tool_calls: Counter[tuple[str, str]] = Counter()
        self.runs = TallyHistogram(RUN_BUCKETS)

    def add(self, row: dict[str, Any]) -> None:
        event_type = row["type"] if row["type"] in self.event_types else OTHER
        self.runs.observe(event_type, float(row["seconds"] or 0))
        timeline = row["timeline"] if isinstance(row["timeline"], list) else []
        shipped = False
        for outcome in timeline:
            if isinstance(outcome, dict):
                shipped = self.count_outcome(outcome) or shipped
        if shipped:
            self.count_fulfilment(float(row["since_occurred"] or 0))

    def count_fulfilment(self, seconds: float) -> None:
        """From the order's event (as the platform dated it) to its shipment."""
        self.fulfilment.observe("", seconds)

    def count_outcome(self, outcome: dict[str, Any]) -> bool:
        """Count one specialist's run; whether it shipped an order."""
        calls = [c for c in outcome.get("tool_calls") or [] if isinstance(c, dict)]
        statuses = {call.get("status") for call in calls}
        if "awaiting_approval" in statuses:
            return False  # a failed run's entry for a call still waiting: not an outcome
        name = outcome.get("specialist")
        specialist = name if name in self.specialists else OTHER
        failed = bool(statuses - {"success"})
        self.specialist_runs[(specialist, "failure" if failed else "success")] += 1
        for call in calls:
            tool = call.get("name") if call.get("name") in self.tools else OTHER
            status = call.get("status")
            self.tool_calls[(str(tool), status if status in TOOL_OUTCOMES else OTHER)] += 1
        return any(
            call.get("name") in self.fulfilment_tools and call.get("status") == "success"
            for call in calls
        )

    def families(self) -> Iterator[Metric]:
        yield self.runs.family(
            "opsgraph_event_run_seconds",
            "Time from an event's start to its finish, by event type.",
            "type",
        )
        specialists = CounterMetricFamily(
            "opsgraph_specialist_runs",
            "Specialist runs in finished events, by outcome (failure: a tool call failed).",
            labels=["specialist", "outcome"],
        )
        for (specialist, outcome), n in sorted(self.specialist_runs.items()):
            specialists.add_metric([specialist, outcome], float(n))
        yield specialists
        tools = CounterMetricFamily(
            "opsgraph_tool_calls",
            "Tool calls in finished events, by outcome.",
            labels=["tool", "outcome"],
        )
        for (tool, outcome), n in sorted(self.tool_calls.items()):
            tools.add_metric([tool, outcome], float(n))
        yield tools
        yield self.fulfilment.family(
            "opsgraph_order_fulfilment_seconds",
            "From an order event's time to the run that shipped it (approval waits included).",
            None,
        )
