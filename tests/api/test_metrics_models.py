"""Model calls on `/metrics`: the service runs an event and chat turns with a chat model
(langchain-openai over real HTTP to the fake OpenAI-compatible server), the workers record
each call, and a scrape of the API counts them: calls by outcome, the tokens the server
reported, a latency histogram, all by model name only."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from runtime.apikeys import Role
from runtime.resources import Resources
from runtime.settings import Settings
from tests.api.test_metrics import Samples, scrape_text, total, value
from tests.fakes.openai_server import (
    Exchange,
    FakeOpenAI,
    FollowTheTools,
    Scripted,
    ToolCall,
    serve_fake_openai,
    use_fake_openai,
)
from tests.support import drain_queue, make_key

METRICS_TOKEN = "metrics-token-for-model-tests"
MODEL = "fake-model"
OTHER_TENANT = "acme-models"


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    with serve_fake_openai() as server, pytest.MonkeyPatch.context() as monkeypatch:
        use_fake_openai(monkeypatch, server)
        yield server


@pytest.fixture(scope="module")
def settings(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, fake_openai: FakeOpenAI
) -> Settings:
    assert fake_openai.base_url  # the client is pointed at it before any graph is built
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("metrics-models"),
        pool_max_size=6,
        job_max_attempts=1,
        model=f"openai:{MODEL}",
        metrics_token=SecretStr(METRICS_TOKEN),
    )


async def scrape(client: httpx.AsyncClient) -> Samples:
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    return scrape_text(await client.get("/metrics", headers=headers))


async def chat_turn(client: httpx.AsyncClient, key: str, text: str) -> None:
    headers = {"x-api-key": key}
    thread = await client.post("/threads", json={}, headers=headers)
    assert thread.status_code == 200, thread.text
    run = await client.post(
        f"/threads/{thread.json()['thread_id']}/runs",
        json={"assistant_id": "chat", "input": {"messages": [{"role": "user", "content": text}]}},
        headers=headers,
    )
    assert run.status_code == 200, run.text


def usage(exchanges: list[Exchange], kind: str) -> int:
    return sum(x.body["usage"][f"{kind}_tokens"] for x in exchanges if x.status == 200)


def route(intent: str) -> list[ToolCall]:
    args = {"intent": intent, "specialist": "customer_service", "confidence": 0.9}
    return [ToolCall("RouteChoice", {**args, "clarifying_question": ""})]


async def test_model_calls_made_by_workers_are_counted_by_model_at_scrape(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources, fake_openai: FakeOpenAI
) -> None:
    before = await scrape(client)
    async with resources.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, 'Models') ON CONFLICT DO NOTHING",
            (OTHER_TENANT,),
        )
    exchanges: list[Exchange] = []
    by_tenant: Counter[str] = Counter()

    fake_openai.reset(FollowTheTools())
    operator = await make_key(resources, Role.OPERATOR)
    invoice = {
        "type": "invoice.requested",
        "entity": "order:model-metrics-1",
        "payload": {
            "order_id": "model-metrics-1",
            "currency": "USD",
            "lines": [{"sku": "SKU-1", "name": "Mug", "quantity": 2, "unit_price": 9.5}],
        },
    }
    posted = await client.post("/events", json=invoice, headers={"x-api-key": operator})
    assert posted.status_code == 202, posted.text
    await drain_queue(resources)
    exchanges += fake_openai.exchanges
    by_tenant["default"] += len(fake_openai.exchanges)

    other = await make_key(resources, Role.OPERATOR, tenant_id=OTHER_TENANT)
    fake_openai.reset(Scripted([route("policy_question"), "We answer within one day."]))
    await chat_turn(client, other, "how fast do you answer?")
    await drain_queue(resources)
    answered = fake_openai.exchanges
    fake_openai.reset(Scripted([]))  # the model server fails every call from now on
    await chat_turn(client, other, "and on weekends?")
    await drain_queue(resources)
    for chat_exchanges in (answered, fake_openai.exchanges):
        exchanges += chat_exchanges
        by_tenant[OTHER_TENANT] += len(chat_exchanges)

    succeeded = [x for x in exchanges if x.status == 200]
    failed = [x for x in exchanges if x.status != 200]
    assert len(succeeded) >= 3 and failed, [x.status for x in exchanges]

    await asyncio.sleep(app.state.metrics.model_calls.settle_s + 0.2)
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    calls = "opsgraph_model_calls_total"
    assert delta(calls, model=MODEL, outcome="success") == len(succeeded)
    assert delta(calls, model=MODEL, outcome="error") == len(failed)
    assert total(after, calls) - total(before, calls) == len(exchanges)
    tokens = "opsgraph_model_tokens_total"
    assert delta(tokens, model=MODEL, kind="prompt") == usage(exchanges, "prompt") > 0
    assert delta(tokens, model=MODEL, kind="completion") == usage(exchanges, "completion") > 0
    assert delta("opsgraph_model_call_seconds_count", model=MODEL) == len(exchanges)
    assert delta("opsgraph_model_call_seconds_bucket", model=MODEL, le="+Inf") == len(exchanges)
    assert delta("opsgraph_model_call_seconds_sum", model=MODEL) > 0

    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT tenant_id, count(*) AS n FROM model_calls GROUP BY 1 ORDER BY 1"
        )
        recorded = {row["tenant_id"]: row["n"] for row in await cursor.fetchall()}
    assert recorded == dict(by_tenant)
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT status, count(*) AS n FROM runs WHERE tenant_id = %s GROUP BY 1",
            (OTHER_TENANT,),
        )
        runs = {row["status"]: row["n"] for row in await cursor.fetchall()}
    assert runs == {"success": 1, "error": 1}, "a turn whose model failed ends as an error"


async def test_model_labels_carry_the_model_name_only(client: httpx.AsyncClient) -> None:
    samples = await scrape(client)
    labelled = {
        frozenset(k for k, _ in labels)
        for name, labels in samples
        if name.startswith("opsgraph_model_")
    }
    assert labelled
    assert all(names <= {"model", "outcome", "kind", "le"} for names in labelled), labelled
