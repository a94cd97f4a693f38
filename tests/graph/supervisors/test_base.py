"""The domain supervisor: runs the registry's specialists and returns only their outcomes."""

from __future__ import annotations

import pytest

from graph.models import PlaybookPlanner
from graph.specialists import SPECIALISTS
from graph.supervisors.base import build_domain_graph
from graph.supervisors.cms import build_cms_graph
from tests.graph.support import make_event

PRODUCT = make_event("product.created", "product:77", {"name": "Trail Shoe", "stock": 3})


async def test_domain_graph_returns_only_its_outcomes() -> None:
    graph = build_cms_graph(planner=PlaybookPlanner()).compile()

    output = await graph.ainvoke({"event": PRODUCT})

    assert set(output) == {"outcomes"}
    (outcome,) = output["outcomes"]
    assert (outcome["domain"], outcome["specialist"]) == ("cms", "content_drafting")
    assert outcome["summary"] == "SEO copy drafted: 'Trail Shoe' at /trail-shoe"


def test_domain_without_specialists_is_refused() -> None:
    with pytest.raises(ValueError, match="'cms' needs at least one specialist"):
        build_domain_graph(domain="cms", specialists={}, planner=PlaybookPlanner())


async def test_registry_naming_a_specialist_the_domain_lacks_fails_loudly() -> None:
    graph = build_domain_graph(
        domain="cms",
        specialists={"channel_sync": SPECIALISTS["channel_sync"]},
        planner=PlaybookPlanner(),
    ).compile()

    with pytest.raises(LookupError, match="content_drafting"):
        await graph.ainvoke({"event": PRODUCT})
