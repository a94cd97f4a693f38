"""A model planner chooses which order to score, never the score's inputs: invented low-risk
arguments are ignored, the tool reads the store and the event, and the gate still fires."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from graph.specialists import SPECIALISTS
from runtime.resources import Resources
from runtime.settings import Settings
from tests.fakes.openai_server import (
    ChatRequest,
    FakeOpenAI,
    FollowThePlaybook,
    Reply,
    ToolCall,
    model_settings,
)
from tests.hitl.support import high_risk_order, shipped
from tests.support import drain_queue, pending_approvals, post_order

INVENTED_LOW_RISK = {
    "order_total": 5.0,
    "currency": "USD",
    "customer_order_count": 80,
    "customer_average_total": 400.0,
    "account_age_days": 4000,
    "orders_last_24h": 0,
    "payment_method": "credit_card",
    "billing_country": "NG",
    "shipping_country": "NG",
}
CALM_STORE_ORDER = "#W2611340"


class InventsLowRisk:
    """The fraud reviewer's model scores `target` with invented calm inputs and calls it low
    risk; every other specialist's model plans as its playbook would."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.others = FollowThePlaybook()

    def __call__(self, request: ChatRequest) -> Reply:
        if request.system != SPECIALISTS["fraud_review"].prompt:
            return self.others(request)
        if request.turn == 0:
            return [ToolCall("score_order_risk", {"order_id": self.target, **INVENTED_LOW_RISK})]
        return "fraud risk 0/100: a loyal customer"


@pytest.fixture(scope="module")
def settings(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, fake_openai_server: FakeOpenAI
) -> Settings:
    return model_settings(
        fake_openai_server,
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("risk-inputs"),
        job_max_attempts=1,
        pool_max_size=4,
    )


def score_results(fake: FakeOpenAI) -> list[Any]:
    """What score_order_risk answered, as the fraud reviewer's model was shown it."""
    prompt = SPECIALISTS["fraud_review"].prompt
    return [
        json.loads(result["content"]) if result["content"].startswith("{") else result["content"]
        for exchange in fake.exchanges
        if exchange.request.system == prompt
        for result in exchange.request.tool_results
    ]


async def test_invented_low_risk_inputs_are_ignored_and_the_gate_fires(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.reset(InventsLowRisk("#M900001"))
    event_id = await post_order(
        client, operator_headers, "#M900001", high_risk_order("#M900001", "USD")
    )
    await drain_queue(resources)

    assert not await shipped(resources, event_id, "#M900001")
    (result,) = score_results(fake_openai)
    assert result["order_id"] == "#M900001"
    assert result["score"] >= 90
    inputs = result["inputs"]
    assert inputs["payment_method"] == "crypto"
    assert (inputs["customer_order_count"], inputs["account_age_days"]) == (0, 0)
    assert (inputs["orders_last_24h"], inputs["order_total"]) == (5, 360.55)
    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    assert [r["id"] for r in approval["rules"]] == ["fraud_review", "fraud_hold"]
    assert approval["facts"]["fraud_score"] == result["score"]
    assert approval["proposed"]["action"] == "cancel_order"


async def test_scoring_another_order_leaves_this_one_without_a_score(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.reset(InventsLowRisk(CALM_STORE_ORDER))
    event_id = await post_order(
        client, operator_headers, "#M900002", high_risk_order("#M900002", "USD")
    )
    await drain_queue(resources)

    assert not await shipped(resources, event_id, "#M900002")
    (result,) = score_results(fake_openai)
    assert result["order_id"] == CALM_STORE_ORDER
    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    missing = {r["id"]: r.get("missing") for r in approval["rules"]}
    why = "the fraud review scored another order, not #M900002"
    assert missing == {
        "fraud_review": [{"fact": "fraud_score", "why": why}],
        "fraud_hold": [{"fact": "fraud_score", "why": why}],
    }
    assert approval["proposed"]["action"] == "create_fulfillment"
