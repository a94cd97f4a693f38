"""Specialists that answer from policy cite the chunk they used, through the real master
graph (playbook planner, Postgres checkpointer, the knowledge base in the same database)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig

from graph.master import build_master_graph
from graph.models import PlaybookPlanner
from rag.embedders import HashingEmbedder
from rag.ingest import SourceFile, ingest_files
from runtime.resources import Resources
from tests.graph.support import make_event, open_context
from tests.rag.support import RETURNS_MD, SHIPPING_HTML

RUNBOOK_MD = """# Integration runbook

## Replaying dead letters

Replay a failed webhook with `opsgraph events replay` once the upstream outage is over;
a signature failure is never replayed, rotate the secret first.
"""

STYLE_MD = """# Content style

## Voice

Write in the second person, short sentences, no exclamation marks. Product pages open
with what the product is for.
"""


@pytest.fixture(scope="module")
async def knowledge(resources: Resources) -> None:
    files = [
        SourceFile("policies/returns.md", RETURNS_MD.encode()),
        SourceFile("policies/shipping.html", SHIPPING_HTML.encode()),
        SourceFile("runbooks/integration.md", RUNBOOK_MD.encode()),
        SourceFile("style/content.md", STYLE_MD.encode()),
    ]
    summary = await ingest_files(resources.pool, "default", files, embedder=HashingEmbedder())
    assert summary.added == 4


async def run_master(resources: Resources, event_type: str, entity: str, payload: Any) -> Any:
    graph = build_master_graph(planner=PlaybookPlanner()).compile(
        checkpointer=resources.checkpointer
    )
    config: RunnableConfig = {"configurable": {"thread_id": f"test-kb-{uuid.uuid4()}"}}
    return await graph.ainvoke(
        {"event": make_event(event_type, entity, payload)},
        config,
        context=open_context(resources.pool),
    )


async def chunk_of(resources: Resources, source: str, heading_path: str) -> int:
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT c.chunk_id FROM kb_chunks c JOIN kb_documents d USING (document_id) "
            "WHERE d.tenant_id = 'default' AND d.source = %s AND c.heading_path = %s",
            (source, heading_path),
        )
        row = await cursor.fetchone()
    assert row is not None
    return int(row["chunk_id"])


def outcome_of(output: Any, specialist: str) -> Any:
    [outcome] = [o for o in output["outcomes"] if o["specialist"] == specialist]
    return outcome


@pytest.mark.usefixtures("knowledge")
async def test_customer_service_answers_a_policy_question_and_cites_the_chunk(
    resources: Resources,
) -> None:
    output = await run_master(
        resources,
        "support.requested",
        "customer:ada",
        {"question": "My parcel arrived damaged. What should I do?"},
    )

    outcome = outcome_of(output, "customer_service")
    [searched] = outcome["tool_calls"]
    assert (searched["name"], searched["status"]) == ("search_knowledge_base", "success")
    top = searched["result"]["results"][0]
    damaged = await chunk_of(resources, "policies/returns.md", "Returns > Damaged items")
    assert (top["n"], top["chunk_id"], top["source"]) == (1, damaged, "policies/returns.md")
    answer, sources = outcome["summary"].splitlines()
    assert "send a photo of the damage within 14 days" in answer and answer.endswith("[1]")
    assert sources == (
        "Sources: [1] Returns and exchanges > Returns > Damaged items "
        f"(policies/returns.md, chunk {damaged})"
    )


@pytest.mark.usefixtures("knowledge")
async def test_a_question_beside_operations_is_answered_and_the_operations_run(
    resources: Resources,
) -> None:
    output = await run_master(
        resources,
        "support.requested",
        "order:#W8306539",
        {
            "question": "Which carriers do you ship with?",
            "operations": [
                {
                    "name": "find_user_id_by_email",
                    "arguments": {"email": "daiki.jackson9202@example.com"},
                }
            ],
        },
    )
    outcome = outcome_of(output, "customer_service")
    assert [c["name"] for c in outcome["tool_calls"]] == [
        "search_knowledge_base",
        "find_user_id_by_email",
    ]
    report, answer, sources = outcome["summary"].splitlines()
    assert report.startswith("find_user_id_by_email: ")
    assert "DHL" in answer and answer.endswith("[1]")
    assert sources.startswith("Sources: [1] Shipping > Shipping > Carriers (policies/shipping.html")


@pytest.mark.usefixtures("knowledge")
async def test_dead_letter_triage_cites_the_runbook(resources: Resources) -> None:
    output = await run_master(
        resources,
        "dead_letter.detected",
        "dead_letters:default",
        {"limit": 10, "question": "How do I replay a failed webhook after an outage?"},
    )
    outcome = outcome_of(output, "dead_letter_triage")
    assert outcome["tool_calls"][0]["name"] == "search_knowledge_base"
    runbook = await chunk_of(
        resources, "runbooks/integration.md", "Integration runbook > Replaying dead letters"
    )
    assert f"(runbooks/integration.md, chunk {runbook})" in outcome["summary"]
    assert "opsgraph events replay" in outcome["summary"]


@pytest.mark.usefixtures("knowledge")
async def test_content_drafting_follows_the_cited_style_guide(resources: Resources) -> None:
    output = await run_master(
        resources,
        "content.requested",
        "content:boot-care",
        {
            "subject": "Leather boot care",
            "points": ["Clean after each hike"],
            "question": "What voice do we write product pages in?",
        },
    )
    drafting = outcome_of(output, "content_drafting")
    names = [c["name"] for c in drafting["tool_calls"]]
    assert names == ["search_knowledge_base", "draft_content", "save_content_draft"]
    points = drafting["tool_calls"][1]["args"]["points"]
    assert points[0] == "Clean after each hike"
    assert "second person" in points[1] and points[1].endswith("[1]")
    style = await chunk_of(resources, "style/content.md", "Content style > Voice")
    assert f"(style/content.md, chunk {style})" in drafting["summary"]


async def test_without_a_question_nothing_is_searched(resources: Resources) -> None:
    output = await run_master(resources, "dead_letter.detected", "dead_letters:x", {"limit": 5})
    outcome = outcome_of(output, "dead_letter_triage")
    assert [c["name"] for c in outcome["tool_calls"]] == ["list_failed_events"]
