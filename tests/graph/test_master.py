"""The master graph end to end: real hierarchy, playbook planner, Postgres checkpointer and
store. Every routed event type runs and shows the domains, specialists and tools it used."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig

from graph.master import build_master_graph
from graph.models import PlaybookPlanner
from graph.routing import EVENT_ROUTES, known_event_types
from graph.state import EventData
from runtime.resources import Resources
from tests.graph.samples import SAMPLES
from tests.graph.support import make_event, open_context

CHECKPOINT_NAMESPACES = "SELECT DISTINCT checkpoint_ns FROM checkpoints WHERE thread_id = %s"


def thread_config() -> RunnableConfig:
    return {"configurable": {"thread_id": f"test-master-{uuid.uuid4()}"}}


async def run_master(
    resources: Resources, event: EventData, config: RunnableConfig
) -> dict[str, Any]:
    graph = build_master_graph(planner=PlaybookPlanner()).compile(
        checkpointer=resources.checkpointer
    )
    output: dict[str, Any] = await graph.ainvoke(
        {"event": event}, config, context=open_context(resources.pool)
    )
    return output


def test_every_routed_event_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(EVENT_ROUTES)


@pytest.mark.parametrize("event_type", known_event_types())
async def test_event_runs_its_domains_specialists_and_tools(
    event_type: str, resources: Resources
) -> None:
    sample = SAMPLES[event_type]
    output = await run_master(
        resources, make_event(event_type, sample.entity, sample.payload), thread_config()
    )

    assert output["domains"] == list(sample.expected)
    made = {
        (o["domain"], o["specialist"]): [(c["name"], c["status"]) for c in o["tool_calls"]]
        for o in output["outcomes"]
    }
    wanted = {
        (domain, specialist): [(tool, "success") for tool in tools]
        for domain, team in sample.expected.items()
        for specialist, tools in team.items()
    }
    assert made == wanted, [o["summary"] for o in output["outcomes"]]
    assert len(output["outcomes"]) == len(wanted)
    for needle in sample.summary_has:
        assert needle in output["summary"], output["summary"]


async def test_order_created_acts_on_the_store_and_outbox(resources: Resources) -> None:
    """On a pending order of the seed data that no other test here touches."""
    payload = {
        **SAMPLES["order.created"].payload,
        "order_id": "#W5694685",
        "email": "evelyn.kovacs5369@example.com",
        "customer": {"id": "evelyn_kovacs_6742"},
    }
    await run_master(
        resources, make_event("order.created", "order:#W5694685", payload), thread_config()
    )
    async with resources.pool.connection() as conn:
        order = await (
            await conn.execute(
                "SELECT status, doc FROM store_orders WHERE tenant_id = 'default'"
                " AND order_id = '#W5694685'"
            )
        ).fetchone()
        reserved = await (
            await conn.execute(
                "SELECT item_id, status FROM store_reservations WHERE order_id = '#W5694685'"
                " ORDER BY item_id"
            )
        ).fetchall()
        mail = await (
            await conn.execute(
                "SELECT recipient, subject FROM email_outbox WHERE recipient = %s",
                ("evelyn.kovacs5369@example.com",),
            )
        ).fetchall()
    assert order is not None and order["status"] == "processed"
    assert order["doc"]["fulfillments"][-1]["item_ids"] == ["3909406921"]
    assert [(r["item_id"], r["status"]) for r in reserved] == [("3909406921", "shipped")]
    assert [m["subject"] for m in mail] == ["Your order #W5694685 is on its way"]


async def test_fulfillment_waits_for_fraud_review(resources: Resources) -> None:
    """Stages: the fulfillment specialist sees the fraud review's outcome."""
    sample = SAMPLES["order.created"]
    output = await run_master(
        resources,
        make_event(
            "order.created",
            "order:#W2974929",
            {**sample.payload, "order_id": "#W2974929", "lines": []},
        ),
        thread_config(),
    )
    ecommerce = [o["specialist"] for o in output["outcomes"] if o["domain"] == "ecommerce"]
    assert ecommerce == ["fraud_review", "order_fulfillment"]


async def test_unrouted_event_reaches_no_domain(resources: Resources) -> None:
    event_type = "subscription.deleted"
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
    sample = SAMPLES["product.updated"]

    output = await run_master(
        resources, make_event("product.updated", sample.entity, sample.payload), config
    )

    async with resources.pool.connection() as conn:
        cursor = await conn.execute(CHECKPOINT_NAMESPACES, (thread_id,))
        namespaces = [row["checkpoint_ns"] for row in await cursor.fetchall()]
    levels = {"|".join(part.split(":")[0] for part in ns.split("|")) for ns in namespaces}
    assert levels == {"", "integration", "integration|channel_sync"}
    saved = await resources.checkpointer.aget_tuple(config)
    assert saved is not None
    assert saved.checkpoint["channel_values"]["summary"] == output["summary"]


async def test_parallel_domains_each_return_only_their_own_outcomes(
    resources: Resources,
) -> None:
    sample = SAMPLES["product.created"]
    event = make_event(
        "product.created", "product:9000000011", {**sample.payload, "product_id": "9000000011"}
    )
    output = await run_master(resources, event, thread_config())

    assert sorted((o["domain"], o["specialist"]) for o in output["outcomes"]) == [
        ("cms", "content_drafting"),
        ("ecommerce", "catalog_seo"),
        ("integration", "channel_sync"),
    ]
