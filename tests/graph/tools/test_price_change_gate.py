"""A large move of a live price waits for a reviewer (the default policy's `price_change`):
a product.updated through the API and the worker, a poor seller marked down 15%."""

from __future__ import annotations

import httpx

from connectors.merchandising import variant_price
from connectors.orders import save_order
from runtime.resources import Resources
from tests.support import drain_queue

PRODUCT = {
    "product_id": "P-CLEAR-1",
    "name": "Clearance Lamp",
    "sku": "CL1",
    "price": 40.0,
    "stock": 0,
}


async def live_price(resources: Resources) -> float | None:
    async with resources.pool.connection() as conn:
        return await variant_price(conn, tenant_id="default", item_id="CL1")


async def test_a_markdown_above_the_threshold_waits_then_applies_on_accept(
    client: httpx.AsyncClient,
    resources: Resources,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
) -> None:
    async with resources.pool.connection() as conn:
        await save_order(
            conn,
            tenant_id="default",
            order={
                "order_id": "#CLEAR-1",
                "user_id": "shopper",
                "status": "delivered",
                "items": [
                    {
                        "name": "Clearance Lamp",
                        "product_id": "P-CLEAR-1",
                        "item_id": "CL1",
                        "price": 40.0,
                        "options": {},
                    }
                ],
                "fulfillments": [],
                "payment_history": [],
                "address": {},
            },
        )
    answer = await client.post(
        "/events",
        headers=operator_headers,
        json={"type": "product.updated", "entity": "product:P-CLEAR-1", "payload": PRODUCT},
    )
    assert answer.status_code == 202
    event_id = answer.json()["event_id"]
    await drain_queue(resources)

    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "awaiting_approval", view
    pending = (await client.get("/approvals?status=pending", headers=reviewer_headers)).json()
    (approval,) = [a for a in pending if a["event_id"] == event_id]
    assert approval["tool_name"] == "set_price"
    assert [rule["id"] for rule in approval["rules"]] == ["price_change"]
    assert approval["facts"]["price_change_pct"] == 15.0
    assert approval["interrupt"]["action_request"]["args"]["price"] == 34.0
    assert await live_price(resources) == 40.0

    decided = await client.post(
        f"/approvals/{approval['approval_id']}/decision",
        json={"type": "accept"},
        headers=reviewer_headers,
    )
    assert decided.status_code == 200, decided.text
    await drain_queue(resources)

    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "done", view
    assert await live_price(resources) == 34.0
    assert "Clearance Lamp POOR" in view["summary"]
    assert "40.00 -> 34.00 (-15.0%) applied" in view["summary"]
