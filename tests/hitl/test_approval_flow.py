"""Gated actions end to end: a high-value order pauses before fulfillment; decisions resume it."""

from __future__ import annotations

from typing import Any

import httpx

from runtime.resources import Resources
from tests.graph.samples import PENDING_ORDER
from tests.support import drain_queue

HIGH_VALUE = {**PENDING_ORDER, "total": 1360.55}


async def post_order(client: httpx.AsyncClient, headers: dict[str, str], order_id: str,
                     payload: dict[str, Any]) -> str:
    answer = await client.post(
        "/events",
        json={"type": "order.created", "entity": f"order:{order_id}", "payload": payload},
        headers=headers,
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["event_id"])


async def test_high_value_order_pauses_then_accept_completes_it(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    resources: Resources,
) -> None:
    event_id = await post_order(client, operator_headers, "#W9962383", HIGH_VALUE)
    await drain_queue(resources)
    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "awaiting_approval", view

    pending = (await client.get("/approvals?status=pending", headers=reviewer_headers)).json()
    (approval,) = [a for a in pending if a["event_id"] == event_id]
    assert approval["tool_name"] == "create_fulfillment"
    assert [r["id"] for r in approval["rules"]] == ["high_value_order"]
    assert approval["interrupt"]["action_request"] == {
        "action": "create_fulfillment", "args": {"order_id": "#W9962383"}}
    assert approval["interrupt"]["config"]["allow_edit"] is True
    assert "high_value_order" in approval["description"]

    decided = await client.post(f"/approvals/{approval['approval_id']}/decision",
                                json={"type": "accept"}, headers=reviewer_headers)
    assert decided.status_code == 200, decided.text
    await drain_queue(resources)
    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "done", view
