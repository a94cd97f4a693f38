"""The master graph end to end: real hierarchy, playbook planner, real Postgres checkpointer."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig

from graph.master import build_master_graph
from graph.models import PlaybookPlanner
from graph.routing import EVENT_ROUTES, known_event_types
from graph.state import EventData
from runtime.resources import Resources
from tests.graph.support import make_event

CHECKPOINT_NAMESPACES = "SELECT DISTINCT checkpoint_ns FROM checkpoints WHERE thread_id = %s"

ToolView = Callable[[dict[str, Any]], dict[str, Any]]

TOOL_VIEWS: Mapping[str, ToolView] = {
    "score_order_risk": lambda r: {
        "score": r["score"],
        "reasons": sorted(reason["reason"] for reason in r["reasons"]),
    },
    "draft_invoice": lambda r: {
        "status": r["status"],
        "currency": r["currency"],
        "amounts": [line["amount"] for line in r["lines"]],
        "total": r["total"],
    },
    "draft_seo_copy": lambda r: {
        "seo_title": r["seo_title"],
        "slug": r["slug"],
        "keywords": r["keywords"],
    },
    "plan_channel_sync": lambda r: {
        "product_id": r["product_id"],
        "actions": {update["channel"]: update["action"] for update in r["updates"]},
    },
    "score_lead": lambda r: {"score": r["score"], "grade": r["grade"]},
}
"""The meaningful part of each tool's result, so expectations stay short and exact."""

ExpectedCalls = list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Sample:
    """A sample event of one type and what the hierarchy must do with it."""

    entity: str
    payload: dict[str, Any]
    expected: dict[str, dict[str, ExpectedCalls]]
    """domain -> specialist -> [(tool name, view of its result)], domains in registry order."""


LOCK_ALL = {"webshop": "lock", "marketplace": "lock", "pos": "lock"}
UPSERT_ALL = {"webshop": "upsert", "marketplace": "upsert", "pos": "upsert"}

SAMPLES: dict[str, Sample] = {
    "order.created": Sample(
        entity="order:1001",
        payload={
            "order_id": "1001",
            "total": 1500.0,
            "currency": "USD",
            "customer": {"order_count": 0, "average_total": 0, "account_age_days": 1},
            "billing_address": {"country": "US"},
            "shipping_address": {"country": "CA"},
            "payment_method": "credit_card",
        },
        expected={
            "ecommerce": {
                "fraud_review": [
                    (
                        "score_order_risk",
                        {
                            "score": 70,
                            "reasons": [
                                "account created less than 2 days ago",
                                "billing and shipping countries differ",
                                "first order from this customer",
                                "high value order (1500.00 USD)",
                            ],
                        },
                    )
                ]
            }
        },
    ),
    "order.paid": Sample(
        entity="order:1001",
        payload={
            "order_id": "1001",
            "currency": "eur",
            "lines": [
                {"sku": "TRS-77", "name": "Trail shoe", "quantity": 2, "unit_price": "59.90"},
                {"sku": "SK-2", "name": "Socks", "quantity": 3, "unit_price": "4.99"},
            ],
        },
        expected={
            "billing": {
                "invoicing": [
                    (
                        "draft_invoice",
                        {
                            "status": "draft",
                            "currency": "EUR",
                            "amounts": ["119.80", "14.97"],
                            "total": "134.77",
                        },
                    )
                ]
            }
        },
    ),
    "product.created": Sample(
        entity="product:77",
        payload={
            "name": "Trail Running Shoe",
            "description": "A light and grippy shoe for the mountain trail.",
            "brand": "Peakline",
            "sku": "TRS-77",
            "price": 129.0,
            "stock": 40,
        },
        expected={
            "cms": {
                "content_drafting": [
                    (
                        "draft_seo_copy",
                        {
                            "seo_title": "Trail Running Shoe | Peakline",
                            "slug": "trail-running-shoe",
                            "keywords": ["trail", "running", "shoe", "light", "grippy", "mountain"],
                        },
                    )
                ]
            },
            "integration": {
                "channel_sync": [("plan_channel_sync", {"product_id": "77", "actions": UPSERT_ALL})]
            },
        },
    ),
    "product.updated": Sample(
        entity="product:77",
        payload={"sku": "TRS-77", "price": 119.0, "stock": 0},
        expected={
            "integration": {
                "channel_sync": [("plan_channel_sync", {"product_id": "77", "actions": LOCK_ALL})]
            }
        },
    ),
    "lead.created": Sample(
        entity="lead:501",
        payload={
            "email": "ana@peakline.io",
            "company": "Peakline",
            "employees": 120,
            "source": "web_form",
        },
        expected={"crm": {"lead_scoring": [("score_lead", {"score": 60, "grade": "B"})]}},
    ),
}


def thread_config() -> RunnableConfig:
    return {"configurable": {"thread_id": f"test-master-{uuid.uuid4()}"}}


async def run_master(
    resources: Resources, event: EventData, config: RunnableConfig
) -> dict[str, Any]:
    graph = build_master_graph(planner=PlaybookPlanner()).compile(
        checkpointer=resources.checkpointer
    )
    output: dict[str, Any] = await graph.ainvoke({"event": event}, config)
    return output


def view_of(name: str, result: Any) -> dict[str, Any]:
    assert name in TOOL_VIEWS, f"add a view of {name}'s result to TOOL_VIEWS"
    assert isinstance(result, dict), f"{name} returned {result!r}"
    return TOOL_VIEWS[name](result)


def test_every_routed_event_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(EVENT_ROUTES)


@pytest.mark.parametrize("event_type", known_event_types())
async def test_event_runs_its_domains_specialists_and_tools(
    event_type: str, resources: Resources
) -> None:
    assert event_type in SAMPLES, f"add a sample payload for {event_type} to SAMPLES"
    sample = SAMPLES[event_type]

    output = await run_master(
        resources, make_event(event_type, sample.entity, sample.payload), thread_config()
    )

    assert output["domains"] == list(sample.expected)
    ran: dict[str, set[str]] = {}
    for outcome in output["outcomes"]:
        ran.setdefault(outcome["domain"], set()).add(outcome["specialist"])
    assert ran == {domain: set(team) for domain, team in sample.expected.items()}
    assert len(output["outcomes"]) == sum(len(team) for team in sample.expected.values())
    for outcome in output["outcomes"]:
        made = [
            (call["name"], call["status"], view_of(call["name"], call["result"]))
            for call in outcome["tool_calls"]
        ]
        wanted = sample.expected[outcome["domain"]][outcome["specialist"]]
        assert made == [(name, "success", view) for name, view in wanted]
        assert outcome["summary"]
        assert f"{outcome['specialist']}: {outcome['summary']}" in output["summary"]
    assert output["summary"].startswith(f"{event_type} {sample.entity} -> ")


async def test_unrouted_event_reaches_no_domain(resources: Resources) -> None:
    event_type = "subscription.cancelled"
    assert event_type not in EVENT_ROUTES

    output = await run_master(
        resources, make_event(event_type, "subscription:9", {}), thread_config()
    )

    assert output["domains"] == []
    assert output["outcomes"] == []
    assert output["summary"] == f"no domain handles {event_type}"


async def test_run_is_checkpointed_in_postgres_at_every_level(resources: Resources) -> None:
    config = thread_config()
    thread_id = config["configurable"]["thread_id"]
    sample = SAMPLES["product.created"]

    output = await run_master(
        resources, make_event("product.created", sample.entity, sample.payload), config
    )

    async with resources.pool.connection() as conn:
        cursor = await conn.execute(CHECKPOINT_NAMESPACES, (thread_id,))
        namespaces = [row["checkpoint_ns"] for row in await cursor.fetchall()]
    # Subgraph namespaces read `domain:<task id>|specialist:<task id>`; drop the task ids.
    levels = {"|".join(part.split(":")[0] for part in ns.split("|")) for ns in namespaces}
    assert levels == {
        "",
        "cms",
        "cms|content_drafting",
        "integration",
        "integration|channel_sync",
    }
    saved = await resources.checkpointer.aget_tuple(config)
    assert saved is not None
    assert saved.checkpoint["channel_values"]["summary"] == output["summary"]


async def test_parallel_domains_each_return_only_their_own_outcome(resources: Resources) -> None:
    sample = SAMPLES["product.created"]

    output = await run_master(
        resources, make_event("product.created", sample.entity, sample.payload), thread_config()
    )

    assert len(output["outcomes"]) == 2
    assert sorted((o["domain"], o["specialist"]) for o in output["outcomes"]) == [
        ("cms", "content_drafting"),
        ("integration", "channel_sync"),
    ]
    assert all(len(outcome["tool_calls"]) == 1 for outcome in output["outcomes"])
