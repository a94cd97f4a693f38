"""Interrupts deep in the hierarchy: two pending at once, decided in either order, and
nothing that ran before them runs again (checked through the ledger)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from runtime.resources import Resources
from runtime.settings import Settings
from tests.support import drain_queue

POLICY = """
version: test-two-gates
rules:
  - id: page_review
    description: product pages are reviewed before they are saved
    tools: [save_content_draft]
    when:
      - {fact: content_id, op: "==", value: "page-7700"}
  - id: channel_review
    description: channel updates are reviewed
    tools: [push_channel_updates]
"""


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("gates")
    policy = folder / "policy.yaml"
    policy.write_text(POLICY)
    return Settings(
        database_url=database_url,
        data_dir=folder,
        policy_file=Path(policy),
        job_max_attempts=1,
        pool_max_size=4,
    )


def product(product_id: str) -> dict[str, Any]:
    return {
        "type": "product.created",
        "entity": f"product:{product_id}",
        "payload": {
            "product_id": product_id,
            "name": "Gate Lamp",
            "sku": f"{product_id}1",
            "price": 30.0,
            "stock": 4,
        },
    }


async def ledger(resources: Resources, event_id: str) -> list[tuple[str, str]]:
    async with resources.pool.connection() as conn:
        found = await (
            await conn.execute(
                "SELECT tool_call_id, tool_name FROM tool_ledger WHERE thread_id = %s"
                " ORDER BY tool_call_id",
                (f"event:{event_id}",),
            )
        ).fetchall()
    return [(r["tool_call_id"], r["tool_name"]) for r in found]


@pytest.mark.parametrize(
    "order", [("channel_review", "page_review"), ("page_review", "channel_review")]
)
async def test_two_pending_approvals_are_decided_independently(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
    order: tuple[str, str],
) -> None:
    event = product("7700")
    answer = await client.post("/events", json=event, headers=operator_headers)
    event_id = answer.json()["event_id"]
    await drain_queue(resources)

    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "awaiting_approval"
    pending = (await client.get("/approvals?status=pending", headers=reviewer_headers)).json()
    mine = {a["rules"][0]["id"]: a for a in pending if a["event_id"] == event_id}
    assert set(mine) == {"page_review", "channel_review"}
    before = await ledger(resources, event_id)
    assert ("catalog_seo-1-0", "save_content_draft") in before, "ungated work ran already"

    first, second = (mine[rule] for rule in order)
    await client.post(
        f"/approvals/{first['approval_id']}/decision",
        json={"type": "accept"},
        headers=reviewer_headers,
    )
    await drain_queue(resources)
    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "awaiting_approval", "the other approval is still pending"
    still = (
        await client.get(f"/approvals/{second['approval_id']}", headers=reviewer_headers)
    ).json()
    assert still["status"] == "pending"

    await client.post(
        f"/approvals/{second['approval_id']}/decision",
        json={"type": "accept"},
        headers=reviewer_headers,
    )
    await drain_queue(resources)
    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "done"
    assert {(o["domain"], o["specialist"]) for o in view["timeline"]} == {
        ("ecommerce", "catalog_seo"),
        ("ecommerce", "merchandising"),
        ("cms", "content_drafting"),
        ("integration", "channel_sync"),
    }

    after = await ledger(resources, event_id)
    assert len(after) == len(set(after)), "an effect was recorded twice"
    assert set(before) <= set(after)
    names = [name for _, name in after]
    assert names.count("save_content_draft") == 2 and names.count("push_channel_updates") == 1
    async with resources.pool.connection() as conn:
        await conn.execute("DELETE FROM store_channel_listings WHERE product_id = '7700'")
        await conn.execute("DELETE FROM store_content WHERE subject = 'product:7700'")
        await conn.execute("DELETE FROM events WHERE event_id = %s", (event_id,))
