"""The master graph end to end: real hierarchy, playbook planner, Postgres checkpointer and
store. Every route key (every accepted type, and each variant of the types routed by their
content) runs and shows the domains, specialists and tools it used; only what the registry
marks as ignored reaches no domain."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.types import Command

from graph.master import build_master_graph
from graph.models import PlaybookPlanner
from graph.routing import EVENT_ROUTES, REGISTRY, known_event_types
from graph.state import EventData
from graph.variants import base_type
from runtime.resources import Resources
from tests.graph.samples import SAMPLES
from tests.graph.support import make_event, mirror_into_store, open_context

CHECKPOINT_NAMESPACES = "SELECT DISTINCT checkpoint_ns FROM checkpoints WHERE thread_id = %s"


def thread_config() -> RunnableConfig:
    return {"configurable": {"thread_id": f"test-master-{uuid.uuid4()}"}}


async def run_master(
    resources: Resources, event: EventData, config: RunnableConfig
) -> dict[str, Any]:
    graph = build_master_graph(planner=PlaybookPlanner()).compile(
        checkpointer=resources.checkpointer
    )
    context = open_context(resources.pool)
    output: dict[str, Any] = await graph.ainvoke({"event": event}, config, context=context)
    for _ in range(5):  # an attention item asks whatever the policy: a reviewer accepts it
        if "__interrupt__" not in output:
            break
        accept: Command[Any] = Command(resume={"type": "accept", "args": None})
        output = await graph.ainvoke(accept, config, context=context)
    return output


def test_every_route_key_has_a_sample() -> None:
    assert set(SAMPLES) == set(EVENT_ROUTES)


def test_every_accepted_type_is_routed_or_ignored_on_purpose() -> None:
    routed = {base_type(key) for key in EVENT_ROUTES}
    ignored = {base_type(key) for key in REGISTRY.ignored}
    assert set(known_event_types()) == routed | ignored
    assert all(REGISTRY.why_ignored(key) for key in REGISTRY.ignored)


@pytest.mark.parametrize("key", sorted(EVENT_ROUTES))
async def test_event_runs_its_domains_specialists_and_tools(key: str, resources: Resources) -> None:
    sample = SAMPLES[key]
    event = make_event(base_type(key), sample.entity, sample.payload)
    assert REGISTRY.key_of(event["type"], event["payload"]) == key
    await mirror_into_store(resources.pool, event)

    output = await run_master(resources, event, thread_config())

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


async def test_an_ignored_variant_reaches_no_domain_and_says_why(resources: Resources) -> None:
    event = make_event("order.updated", "order:#W5918442", {"order_id": "#W5918442"})

    output = await run_master(resources, event, thread_config())

    assert output["domains"] == []
    assert output["outcomes"] == []
    reason = REGISTRY.why_ignored("order.updated[open]")
    assert output["summary"] == f"order.updated[open] order:#W5918442 ignored: {reason}"


async def test_an_unknown_type_reaches_no_domain(resources: Resources) -> None:
    event_type = "subscription.paused"
    assert not REGISTRY.accepts(event_type)

    output = await run_master(
        resources, make_event(event_type, "subscription:9", {}), thread_config()
    )

    assert output["domains"] == []
    assert output["summary"] == f"no domain handles {event_type}"


async def test_run_is_checkpointed_in_postgres_at_every_level(resources: Resources) -> None:
    config = thread_config()
    thread_id = config["configurable"]["thread_id"]
    sample = SAMPLES["stock.updated"]

    output = await run_master(
        resources, make_event("stock.updated", sample.entity, sample.payload), config
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
        ("ecommerce", "merchandising"),
        ("integration", "channel_sync"),
    ]
