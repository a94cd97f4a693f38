"""The service with `model = openai:<name>`: POST /events, the worker, a fake model server."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from runtime.resources import Resources
from runtime.settings import Settings
from tests.fakes.openai_server import (
    FAKE_API_KEY,
    ChatRequest,
    FakeOpenAI,
    FollowTheTools,
    HttpError,
    Reply,
)
from tests.support import drain_queue

CALL_ID = re.compile(r"^call_[0-9a-f]{24}$")
INVOICE_REQUESTED = {
    "type": "invoice.requested",
    "entity": "order:2001",
    "payload": {
        "order_id": "2001",
        "currency": "EUR",
        "lines": [{"sku": "TRS-77", "name": "Trail shoe", "quantity": 2, "unit_price": "59.90"}],
    },
}


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The service configured for a chat model, with one retry of a failed run."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("model-path"),
        model="openai:fake-model",
        pool_min_size=1,
        pool_max_size=6,
        worker_concurrency=2,
        job_max_attempts=2,
    )


async def post_and_drain(
    client: httpx.AsyncClient, headers: dict[str, str], resources: Resources
) -> dict[str, Any]:
    """Accept the event, let the worker run it, and return its view."""
    answer = await client.post("/events", json=INVOICE_REQUESTED, headers=headers)
    assert answer.status_code == 202, answer.text
    event_id = answer.json()["event_id"]
    await drain_queue(resources)
    view: dict[str, Any] = (await client.get(f"/events/{event_id}", headers=headers)).json()
    return view


async def test_the_models_tool_call_shows_in_the_timeline(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    resources: Resources,
    fake_openai: FakeOpenAI,
) -> None:
    view = await post_and_drain(client, operator_headers, resources)

    assert view["status"] == "done", view
    assert view["domains"] == ["billing"]
    (outcome,) = view["timeline"]
    assert (outcome["domain"], outcome["specialist"]) == ("billing", "invoicing")
    planned, answered = fake_openai.exchanges
    assert planned.request.api_key == FAKE_API_KEY
    assert planned.request.model == "fake-model"
    (call,) = outcome["tool_calls"]
    assert CALL_ID.match(call["id"]), call["id"]
    assert call["id"] == planned.tool_call_ids[0]
    assert call["name"] == "draft_invoice"
    assert call["args"]["lines"][0]["sku"] == "TRS-77"
    assert call["status"] == "success"
    assert call["result"]["total"] == "119.80"
    assert answered.text is not None and "119.80" in answered.text
    assert outcome["summary"] == answered.text
    assert f"invoicing: {answered.text}" in view["summary"]
    assert (view["attempts"], view["error"]) == (1, None)


class DownForOneRequest:
    """The model server fails one request (no client-side retry), then follows the tools."""

    def __init__(self) -> None:
        self.down = True
        self.follow = FollowTheTools()

    def __call__(self, request: ChatRequest) -> Reply:
        if self.down:
            self.down = False
            return HttpError(503, "model server restarting", retryable=False)
        return self.follow(request)


async def test_a_model_outage_is_retried_by_the_worker(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    resources: Resources,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.reset(DownForOneRequest())

    view = await post_and_drain(client, operator_headers, resources)

    assert (view["status"], view["attempts"], view["error"]) == ("done", 2, None)
    failed, planned, answered = fake_openai.exchanges
    assert [x.status for x in (failed, planned, answered)] == [503, 200, 200]
    assert failed.request.messages == planned.request.messages
    (outcome,) = view["timeline"]
    (call,) = outcome["tool_calls"]
    assert (call["id"], call["status"]) == (planned.tool_call_ids[0], "success")
    assert outcome["summary"] == answered.text
