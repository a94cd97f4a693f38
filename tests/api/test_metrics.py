"""`GET /metrics` after a mixed run: signed webhooks (new, duplicate, forged, malformed), an
event paused at an approval then accepted, and an event whose run fails. The counters must
say what happened, and the text must parse with prometheus-client's own parser."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from langchain_core.messages import AIMessage, AnyMessage
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from api.webhooks.signing import shopify_headers
from graph.master import build_master_graph
from graph.models import PlaybookPlanner
from graph.specialists.base import Specialist
from graph.state import EventData
from runtime.apikeys import Role
from runtime.resources import Resources
from runtime.settings import Settings
from service.demo_webhooks import DemoSenders
from service.runner import EventRunner
from tests.graph.samples import SAMPLES
from tests.support import drain_queue, make_key

SENDERS = DemoSenders.create()
METRICS_TOKEN = "metrics-token-for-tests"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class BrokenPlanner(PlaybookPlanner):
    """A model that is down for good: every run it plans fails."""

    async def plan(
        self,
        specialist: Specialist,  # noqa: ARG002
        event: EventData,  # noqa: ARG002
        messages: Sequence[AnyMessage],  # noqa: ARG002
    ) -> AIMessage:
        raise RuntimeError("model unavailable")


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("metrics"),
        pool_max_size=6,
        job_max_attempts=1,
        metrics_token=SecretStr(METRICS_TOKEN),
    )
    return SENDERS.trusted_by(base)


def scrape_text(answer: httpx.Response) -> Samples:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


async def scrape(client: httpx.AsyncClient) -> Samples:
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    return scrape_text(await client.get("/metrics", headers=headers))


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every series of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def rows(resources: Resources, query: str) -> list[dict[str, Any]]:
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(query)
        return list(await cursor.fetchall())


async def test_reading_metrics_needs_the_token_or_an_operator_key(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    assert (await client.get("/metrics")).status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    reviewer = await make_key(resources, Role.REVIEWER)
    refused = await client.get("/metrics", headers={"Authorization": f"Bearer {reviewer}"})
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("this route needs")
    operator = await make_key(resources, Role.OPERATOR)
    scrape_text(await client.get("/metrics", headers={"Authorization": f"Bearer {operator}"}))


async def settle(app: FastAPI) -> None:
    """Let the finished events age past the tally's settling time, so a scrape counts them."""
    await asyncio.sleep(app.state.metrics.tally.settle_s + 0.2)


async def test_counters_after_a_mixed_run_match_what_happened(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    before = await scrape(client)
    answers: Counter[tuple[str, str]] = Counter()

    async def deliver(path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        answer = await client.post(path, content=body, headers=headers)
        source = path.rsplit("/", 1)[-1]
        answers[(source, str(answer.status_code))] += 1
        return answer

    deliveries = SENDERS.deliveries()
    for path, body, headers in deliveries:
        assert (await deliver(path, body, headers)).status_code in {200, 202}
    path, body, headers = deliveries[0]
    assert (await deliver(path, body, headers)).status_code == 200  # a duplicate
    forged = {**headers, "Saleor-Signature": headers["Saleor-Signature"][:-4] + "AAAA"}
    assert (await deliver(path, body, forged)).status_code == 401
    garbage = b"{not json"
    malformed = shopify_headers(
        garbage, SENDERS.shopify_secret, topic="orders/paid", webhook_id="malformed-1"
    )
    assert (await deliver("/webhooks/shopify", garbage, malformed)).status_code == 400
    await drain_queue(resources)

    operator = {"Authorization": f"Bearer {await make_key(resources, Role.OPERATOR)}"}
    lead = {"type": "lead.created", "entity": "lead:broken", "payload": {"email": "a@b.example"}}
    posted = await client.post("/events", json=lead, headers=operator)
    assert posted.status_code == 202
    broken = build_master_graph(planner=BrokenPlanner()).compile(
        checkpointer=resources.checkpointer
    )
    await drain_queue(resources, runner=EventRunner(resources, broken))

    await settle(app)
    during = await scrape(client)
    for (source, code), count in answers.items():
        counted = value(during, "opsgraph_webhooks_received_total", source=source, answer=code)
        assert (
            counted - value(before, "opsgraph_webhooks_received_total", source=source, answer=code)
            == count
        ), (source, code)
    assert total(during, "opsgraph_webhook_ack_seconds_count") - total(
        before, "opsgraph_webhook_ack_seconds_count"
    ) == sum(answers.values())

    statuses = {
        (r["type"], r["status"]): r["n"]
        for r in await rows(
            resources, "SELECT type, status, count(*) AS n FROM events GROUP BY 1, 2"
        )
    }
    assert value(during, "opsgraph_events", type="lead.created", status="failed") == 1
    assert value(during, "opsgraph_events", type="order.created", status="awaiting_approval") == 1
    for (event_type, status), count in statuses.items():
        if event_type in {"order.created", "lead.created", "order.paid"}:
            assert value(during, "opsgraph_events", type=event_type, status=status) == count
    assert value(during, "opsgraph_approvals_pending", kind="approval") == 1
    assert value(during, "opsgraph_approval_oldest_pending_age_seconds", kind="approval") > 0
    assert total(during, "opsgraph_approval_decisions_total") == 0
    assert value(during, "opsgraph_queue_jobs", status="todo") == 0

    finished_timelines = "SELECT timeline FROM events WHERE finished_at IS NOT NULL"
    calls = Counter(
        (call["name"], call["status"])
        for row in await rows(resources, finished_timelines)
        for outcome in row["timeline"]
        for call in outcome["tool_calls"]
    )
    assert any(status == "success" for _, status in calls)
    for (tool, status), count in calls.items():
        assert value(during, "opsgraph_tool_calls_total", tool=tool, outcome=status) == count
    assert total(during, "opsgraph_tool_calls_total") == calls.total()
    assert total(during, "opsgraph_specialist_runs_total") == sum(
        len(row["timeline"]) for row in await rows(resources, finished_timelines)
    )
    finished = [k for k in statuses if k[1] in {"done", "failed", "skipped"}]
    assert total(during, "opsgraph_event_run_seconds_count") == sum(statuses[k] for k in finished)

    reviewer = {"Authorization": f"Bearer {await make_key(resources, Role.REVIEWER)}"}
    pending = (await client.get("/approvals?status=pending", headers=reviewer)).json()
    decided = await client.post(
        f"/approvals/{pending[0]['approval_id']}/decision",
        json={"type": "accept"},
        headers=reviewer,
    )
    assert decided.status_code == 200, decided.text
    await drain_queue(resources)

    await settle(app)
    after = await scrape(client)
    assert value(after, "opsgraph_approvals_pending", kind="approval") == 0
    assert value(after, "opsgraph_approval_decisions_total", kind="approval", type="accept") == 1
    assert value(after, "opsgraph_events", type="order.created", status="awaiting_approval") == 0
    shipments = {"tool": "create_fulfillment", "outcome": "success"}
    shipped = value(after, "opsgraph_tool_calls_total", **shipments)
    assert shipped == value(during, "opsgraph_tool_calls_total", **shipments) + 1
    shipped_orders = "opsgraph_order_fulfilment_seconds_count"
    assert value(after, shipped_orders) == value(during, shipped_orders) + 1
    assert value(during, shipped_orders) == value(during, "opsgraph_tool_calls_total", **shipments)
    assert value(after, "opsgraph_order_fulfilment_seconds_sum") > 0
    assert value(after, "opsgraph_orders_awaiting_fulfilment") >= 0
    assert (
        value(after, "opsgraph_customers_onboarded")
        == (await rows(resources, "SELECT count(*) AS n FROM store_customer_profiles"))[0]["n"]
    )


async def test_no_label_carries_an_id(client: httpx.AsyncClient) -> None:
    samples = await scrape(client)
    for _, labels in samples:
        for name, label in labels:
            assert ":" not in label and "evt_" not in label, (name, label)


async def test_retries_and_content_produced_are_counted(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    before = await scrape(client)
    operator = {"Authorization": f"Bearer {await make_key(resources, Role.OPERATOR)}"}
    admin = {"Authorization": f"Bearer {await make_key(resources, Role.ADMIN)}"}
    lead = {"type": "lead.created", "entity": "lead:retried", "payload": {"email": "r@b.example"}}
    posted = await client.post("/events", json=lead, headers=operator)
    assert posted.status_code == 202
    broken = EventRunner(
        resources,
        build_master_graph(planner=BrokenPlanner()).compile(checkpointer=resources.checkpointer),
    )
    await drain_queue(resources, runner=broken)
    replayed = await client.post(f"/events/{posted.json()['event_id']}/replay", headers=admin)
    assert replayed.status_code == 202, replayed.text
    await drain_queue(resources, runner=broken)

    product = SAMPLES["product.created"]
    event = {"type": "product.created", "entity": product.entity, "payload": product.payload}
    assert (await client.post("/events", json=event, headers=operator)).status_code == 202
    await drain_queue(resources)

    after = await scrape(client)
    retries = "opsgraph_event_retries_total"
    assert (
        value(after, retries, type="lead.created") - value(before, retries, type="lead.created")
        == 1
    )
    attempts = await rows(resources, "SELECT sum(greatest(attempts - 1, 0)) AS n FROM events")
    assert total(after, retries) == attempts[0]["n"]
    content = {
        row["status"]: row["n"]
        for row in await rows(
            resources, "SELECT status, count(*) AS n FROM store_content GROUP BY 1"
        )
    }
    assert content.get("draft", 0) + content.get("published", 0) >= 1
    for status in ("draft", "published"):
        assert value(after, "opsgraph_content", status=status) == content.get(status, 0)


async def test_knowledge_base_searches_made_by_chat_runs_are_timed(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    before = await scrape(client)
    headers = {"x-api-key": await make_key(resources, Role.OPERATOR)}
    thread = await client.post("/threads", json={}, headers=headers)
    thread_id = thread.json()["thread_id"]
    message = {"role": "user", "content": "what is our return window?"}
    run = await client.post(
        f"/threads/{thread_id}/runs",
        json={"assistant_id": "chat", "input": {"messages": [message]}},
        headers=headers,
    )
    assert run.status_code == 200, run.text
    await drain_queue(resources)

    state = (await client.get(f"/threads/{thread_id}/state", headers=headers)).json()
    searches = [
        m
        for m in state["values"]["messages"]
        if m["type"] == "tool" and m["name"] == "search_knowledge_base"
    ]
    assert searches, state["values"]["messages"]
    await asyncio.sleep(app.state.metrics.kb_searches.settle_s + 0.2)
    after = await scrape(client)
    timed = "opsgraph_kb_run_search_seconds_count"
    assert value(after, timed, outcome="success") - value(before, timed, outcome="success") == len(
        searches
    )
    assert value(after, "opsgraph_kb_run_search_seconds_sum", outcome="success") > 0
    recorded = await rows(resources, "SELECT DISTINCT tenant_id FROM kb_searches")
    assert [row["tenant_id"] for row in recorded] == ["default"]
