"""The domain supervisor: runs the registry's specialists and returns only their outcomes."""

from __future__ import annotations

import uuid

import pytest
from langchain_core.runnables import RunnableConfig

from graph.models import PlaybookPlanner
from graph.specialists import SPECIALISTS
from graph.supervisors import cms
from graph.supervisors.base import build_domain_graph
from runtime.resources import Resources
from tests.graph.support import make_event, open_context


def fresh_thread() -> RunnableConfig:
    return {"configurable": {"thread_id": f"test-domain-{uuid.uuid4()}"}}


PRODUCT = make_event("product.created", "product:77", {"name": "Trail Shoe", "stock": 3})


async def test_domain_graph_returns_only_its_outcomes(resources: Resources) -> None:
    graph = build_domain_graph(domain=cms.DOMAIN, planner=PlaybookPlanner()).compile()

    output = await graph.ainvoke(
        {"event": PRODUCT}, config=fresh_thread(), context=open_context(resources.pool)
    )

    assert set(output) == {"outcomes"}
    (outcome,) = output["outcomes"]
    assert (outcome["domain"], outcome["specialist"]) == ("cms", "content_drafting")
    assert outcome["summary"] == "draft page-77 saved: 'Trail Shoe: what shoppers should know'"


async def test_a_later_stage_sees_the_earlier_stage(resources: Resources) -> None:
    graph = build_domain_graph(domain=cms.DOMAIN, planner=PlaybookPlanner()).compile()
    event = make_event("content.requested", "content:faq", {"subject": "Returns FAQ"})

    output = await graph.ainvoke(
        {"event": event}, config=fresh_thread(), context=open_context(resources.pool)
    )

    drafted, published = output["outcomes"]
    assert (drafted["specialist"], published["specialist"]) == ("content_drafting", "publishing")
    assert published["tool_calls"][0]["args"] == {"content_id": "article-faq"}
    assert published["summary"] == "published article-faq: 'Returns FAQ: what shoppers should know'"


def test_domain_without_specialists_is_refused() -> None:
    with pytest.raises(ValueError, match="'cms' needs at least one specialist"):
        build_domain_graph(domain=cms.DOMAIN, specialists={}, planner=PlaybookPlanner())


async def test_registry_naming_a_specialist_the_domain_lacks_fails_loudly() -> None:
    graph = build_domain_graph(
        domain=cms.DOMAIN,
        specialists={"channel_sync": SPECIALISTS["channel_sync"]},
        planner=PlaybookPlanner(),
    ).compile()

    with pytest.raises(LookupError, match="content_drafting"):
        await graph.ainvoke({"event": PRODUCT})
