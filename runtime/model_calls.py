"""Model calls: one row per call, written where the call happened, tallied where `/metrics` is.

Model calls happen inside workers (event runs, chat runs), which have no endpoint of their
own, so each call is recorded in `model_calls` (a single-statement insert, ~1 ms beside a
call that takes hundreds) and the serving process tallies the rows written since its last
scrape, as `runtime.metrics_tally` does for finished events (`runtime.keyset_tally`, over
`(recorded_at, call_id)`).

The `model` label is the configured model name (operator-controlled, so bounded); past
`max_models` distinct names the rest count as `other`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any, Literal

from prometheus_client.core import CounterMetricFamily, Metric

from runtime.database import Pool
from runtime.histogram import TallyHistogram
from runtime.keyset_tally import KeysetTally

Outcome = Literal["success", "error"]

MODEL_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
OTHER = "other"

INSERT_SQL = """
INSERT INTO model_calls (tenant_id, model, outcome, prompt_tokens, completion_tokens, seconds)
VALUES (%(tenant)s, %(model)s, %(outcome)s, %(prompt)s, %(completion)s, %(seconds)s)
"""

NEW_CALLS_SQL = """
SELECT call_id AS row_id, recorded_at, model, outcome, prompt_tokens, completion_tokens, seconds
  FROM model_calls
 WHERE recorded_at < now() - make_interval(secs => %(settle_s)s)
   AND (recorded_at, call_id) > (%(after_at)s, %(after_id)s)
 ORDER BY recorded_at, call_id
 LIMIT %(batch)s
"""


async def record_model_call(
    pool: Pool,
    *,
    tenant_id: str,
    model: str,
    outcome: Outcome,
    prompt_tokens: int,
    completion_tokens: int,
    seconds: float,
) -> None:
    """Store one call (its tenant, for per-tenant usage; no prompt or reply text)."""
    async with pool.connection() as conn:
        await conn.execute(
            INSERT_SQL,
            {
                "tenant": tenant_id,
                "model": model,
                "outcome": outcome,
                "prompt": max(prompt_tokens, 0),
                "completion": max(completion_tokens, 0),
                "seconds": max(seconds, 0.0),
            },
        )


class ModelCallTally(KeysetTally):
    """Calls by model and outcome, tokens by model and kind, call latency by model."""

    sql = NEW_CALLS_SQL

    def __init__(self, *, settle_s: float = 2.0, batch: int = 5000, max_models: int = 20) -> None:
        super().__init__(settle_s=settle_s, batch=batch)
        self.max_models = max_models
        self.calls: Counter[tuple[str, str]] = Counter()
        self.tokens: Counter[tuple[str, str]] = Counter()
        self.latency = TallyHistogram(MODEL_BUCKETS)

    def label(self, model: str) -> str:
        if model in self.latency or len(self.latency) < self.max_models:
            return model
        return OTHER

    def add(self, row: dict[str, Any]) -> None:
        model = self.label(str(row["model"]))
        self.calls[(model, str(row["outcome"]))] += 1
        self.tokens[(model, "prompt")] += int(row["prompt_tokens"])
        self.tokens[(model, "completion")] += int(row["completion_tokens"])
        self.latency.observe(model, float(row["seconds"]))

    def families(self) -> Iterator[Metric]:
        calls = CounterMetricFamily(
            "opsgraph_model_calls",
            "Chat-model calls by model and outcome.",
            labels=["model", "outcome"],
        )
        for (model, outcome), n in sorted(self.calls.items()):
            calls.add_metric([model, outcome], float(n))
        yield calls
        tokens = CounterMetricFamily(
            "opsgraph_model_tokens",
            "Tokens the model server reported, by model and kind (prompt, completion).",
            labels=["model", "kind"],
        )
        for (model, kind), n in sorted(self.tokens.items()):
            tokens.add_metric([model, kind], float(n))
        yield tokens
        yield self.latency.family(
            "opsgraph_model_call_seconds",
            "Time a chat-model call took (the client's own retries inside), by model.",
            "model",
        )
