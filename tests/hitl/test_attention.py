"""Attention items are decided like approvals (issue 9, item 3): an edit picks another
remedy and the run carries it out; a response or ignore leaves the order on hold, said so;
the inbox marks them apart from approvals."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from runtime.apikeys import Role
from runtime.resources import Resources
from tests.support import decide, drain_queue, make_key, post_order, rows


def order(order_id: str, *lines: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "total": 60.0,
        "currency": "USD",
        "email": "mia.garcia4516@example.com",
        "customer": {"id": "mia_garcia_4516"},
        "lines": list(lines),
    }


async def attention_for(
    client: httpx.AsyncClient, headers: dict[str, str], event_id: str
) -> dict[str, Any]:
    found = (await client.get("/approvals?kind=attention", headers=headers)).json()
    (item,) = [a for a in found if a["event_id"] == event_id]
    return dict(item)


async def test_an_edit_picks_another_remedy_and_the_run_carries_it_out(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    line = {"sku": "NOPE-001", "name": "Phantom", "quantity": 2, "unit_price": 30.0}
    event_id = await post_order(client, operator_headers, "#A-EDIT", order("#A-EDIT", line))
    await drain_queue(resources)
    item = await attention_for(client, reviewer_headers, event_id)
    assert item["proposed"]["args"]["remedy"] == "hold_and_ask"
    assert "SKU NOPE-001 is unknown" in item["proposed"]["args"]["reason"]

    chosen = {**item["proposed"]["args"], "remedy": "cancel_and_refund"}
    await decide(client, reviewer_headers, item["approval_id"], {"type": "edit", "args": chosen})
    await drain_queue(resources)

    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "done", view
    assert "order #A-EDIT cancelled and refunded" in view["summary"]
    (status,) = await rows(
        resources, "SELECT status FROM store_orders WHERE order_id = %s", "#A-EDIT"
    )
    assert status["status"] == "cancelled"


async def test_a_response_or_ignore_leaves_the_order_on_hold_and_says_so(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    no_sku = {"name": "Gift wrap", "quantity": 8, "unit_price": 7.5}
    answered = await post_order(client, operator_headers, "#A-NOTE", order("#A-NOTE", no_sku))
    ignored = await post_order(client, operator_headers, "#A-IGN", order("#A-IGN", no_sku))
    await drain_queue(resources)
    note = await attention_for(client, reviewer_headers, answered)
    assert "a line with no SKU (Gift wrap x 8)" in note["proposed"]["args"]["reason"]
    assert "{'': 8}" not in note["description"]

    await decide(
        client,
        reviewer_headers,
        note["approval_id"],
        {"type": "response", "args": "calling the customer about the wrap"},
    )
    dismissed = await attention_for(client, reviewer_headers, ignored)
    await decide(client, reviewer_headers, dismissed["approval_id"], {"type": "ignore"})
    await drain_queue(resources)

    said = (await client.get(f"/events/{answered}", headers=operator_headers)).json()
    assert said["status"] == "done"
    assert "reviewer said: calling the customer about the wrap" in said["summary"]
    left = (await client.get(f"/events/{ignored}", headers=operator_headers)).json()
    assert left["status"] == "done"
    assert "order #A-IGN on hold" in left["summary"] and "rejected" in left["summary"]
    outbox = await rows(
        resources, "SELECT count(*) AS n FROM email_outbox WHERE subject LIKE %s", "%#A-NOTE%"
    )
    assert outbox[0]["n"] == 0  # nobody chose to ask the customer


async def test_the_inbox_marks_attention_items(
    app: FastAPI,
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    line = {"sku": "NOPE-002", "name": "Phantom", "quantity": 1, "unit_price": 60.0}
    event_id = await post_order(client, operator_headers, "#A-BOX", order("#A-BOX", line))
    await drain_queue(resources)
    item = await attention_for(client, reviewer_headers, event_id)

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as browser:
        await browser.post("/inbox/login", data={"key": await make_key(resources, Role.REVIEWER)})
        listing = (await browser.get("/inbox")).text
        page = (await browser.get(f"/inbox/{item['approval_id']}")).text

    assert item["approval_id"] in listing and ">attention</span>" in listing
    assert "Needs attention" in page and "NOPE-002" in page
