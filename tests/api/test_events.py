"""POST /events and GET /events: accepted durably, run through the hierarchy, tenant-scoped."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from graph.routing import known_event_types
from runtime.apikeys import Role
from runtime.resources import Resources
from tests.support import drain_queue, make_key

ORDER_CREATED: dict[str, Any] = {
    "type": "order.created",
    "entity": "order:1001",
    "payload": {
        "order_id": "1001",
        "total": 80.0,
        "currency": "USD",
        "customer": {"order_count": 4, "average_total": 70.0, "account_age_days": 400},
    },
}


async def test_accepted_event_has_row_and_job_before_the_answer(
    client: httpx.AsyncClient, operator_headers: dict[str, str], resources: Resources
) -> None:
    answer = await client.post("/events", json=ORDER_CREATED, headers=operator_headers)
    assert answer.status_code == 202
    event_id = answer.json()["event_id"]
    async with resources.pool.connection() as conn:
        row = await (
            await conn.execute(
                "SELECT e.status, j.status AS job_status, j.task_name, j.lock, j.args "
                "FROM events e JOIN procrastinate_jobs j ON j.id = e.job_id "
                "WHERE e.event_id = %s",
                (event_id,),
            )
        ).fetchone()
    assert row is not None
    assert row["status"] == "queued"
    assert row["task_name"] == "process_event"
    assert row["lock"] == "default/order:1001"
    assert row["args"] == {"tenant_id": "default", "event_id": event_id}


async def test_event_runs_through_the_hierarchy_and_shows_its_timeline(
    client: httpx.AsyncClient, operator_headers: dict[str, str], resources: Resources
) -> None:
    answer = await client.post("/events", json=ORDER_CREATED, headers=operator_headers)
    event_id = answer.json()["event_id"]
    await drain_queue(resources)

    view = (await client.get(f"/events/{event_id}", headers=operator_headers)).json()
    assert view["status"] == "done"
    assert view["domains"] == ["ecommerce", "crm"]
    ran = {(o["domain"], o["specialist"]): o for o in view["timeline"]}
    assert set(ran) == {
        ("ecommerce", "fraud_review"),
        ("ecommerce", "order_fulfillment"),
        ("crm", "customer_onboarding"),
    }
    history, score = ran[("ecommerce", "fraud_review")]["tool_calls"]
    assert history["name"] == "get_customer_history"
    assert score["name"] == "score_order_risk"
    assert score["args"] == {"order_id": "1001"}
    # The tool read the inputs: the payload's total; the store's history (none for a guest),
    # not the payload's claimed 4 orders, so its claimed account age is not vouched for.
    assert score["result"]["inputs"]["order_total"] == 80.0
    assert score["result"]["inputs"]["customer_order_count"] == 0
    assert score["result"]["score"] == 35
    assert score["status"] == "success"
    assert "fraud risk 35/100" in view["summary"]
    assert view["finished_at"] is not None


async def test_the_event_is_mirrored_into_the_store(
    client: httpx.AsyncClient, operator_headers: dict[str, str], resources: Resources
) -> None:
    event = {
        **ORDER_CREATED,
        "entity": "order:mirror-1",
        "payload": {
            **ORDER_CREATED["payload"],
            "order_id": "mirror-1",
            "lines": [
                {"sku": "3877188862", "name": "Skateboard", "quantity": 2, "unit_price": 182.03}
            ],
        },
    }
    await client.post("/events", json=event, headers=operator_headers)
    await drain_queue(resources)
    async with resources.pool.connection() as conn:
        row = await (
            await conn.execute("SELECT doc FROM store_orders WHERE order_id = 'mirror-1'")
        ).fetchone()
    assert row is not None
    # One record for the line, with its quantity (not one record per unit).
    assert [(item["item_id"], item["quantity"]) for item in row["doc"]["items"]] == [
        ("3877188862", 2)
    ]
    assert row["doc"]["status"] == "processed"


async def test_unknown_type_is_refused_with_the_known_types(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    answer = await client.post(
        "/events", json={**ORDER_CREATED, "type": "order.teleported"}, headers=operator_headers
    )
    assert answer.status_code == 422
    assert "order.teleported" in answer.json()["detail"]
    assert "order.created" in answer.json()["detail"]


async def test_the_accepted_types_are_the_event_registrys(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    schema = (await client.get("/openapi.json")).json()
    listed = schema["components"]["schemas"]["AcceptedEvent"]["properties"]["type"]["enum"]
    assert listed == known_event_types()

    answer = await client.post(
        "/events",
        json={
            "type": "customer.updated",
            "entity": "customer:c1",
            "payload": {"customer_id": "c1"},
        },
        headers=operator_headers,
    )
    assert answer.status_code == 202


async def test_malformed_body_is_422_and_stores_nothing(
    client: httpx.AsyncClient, operator_headers: dict[str, str], resources: Resources
) -> None:
    async with resources.pool.connection() as conn:
        before = await (await conn.execute("SELECT count(*) AS n FROM events")).fetchone()
    for body in ({"type": "order.created"}, {**ORDER_CREATED, "type": "Not A Type"}):
        answer = await client.post("/events", json=body, headers=operator_headers)
        assert answer.status_code == 422
    async with resources.pool.connection() as conn:
        after = await (await conn.execute("SELECT count(*) AS n FROM events")).fetchone()
    assert before == after


async def test_events_are_scoped_by_tenant(
    client: httpx.AsyncClient, operator_headers: dict[str, str], resources: Resources
) -> None:
    async with resources.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES ('acme', 'Acme') ON CONFLICT DO NOTHING"
        )
    acme = {"Authorization": f"Bearer {await make_key(resources, Role.OPERATOR, 'acme')}"}
    event_id = (await client.post("/events", json=ORDER_CREATED, headers=operator_headers)).json()[
        "event_id"
    ]
    assert (await client.get(f"/events/{event_id}", headers=acme)).status_code == 404
    listed = (await client.get("/events", headers=acme)).json()
    assert all(item["event_id"] != event_id for item in listed)
    assert (await client.get(f"/events/{event_id}", headers=operator_headers)).status_code == 200


async def test_list_filters_by_status(
    client: httpx.AsyncClient, operator_headers: dict[str, str], resources: Resources
) -> None:
    await client.post("/events", json=ORDER_CREATED, headers=operator_headers)
    await drain_queue(resources)
    done = (await client.get("/events?status=done", headers=operator_headers)).json()
    assert done and all(item["status"] == "done" for item in done)
    assert (
        await client.get("/events?status=nonsense", headers=operator_headers)
    ).status_code == 422


async def test_missing_event_is_404(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    answer = await client.get(f"/events/{uuid.uuid4()}", headers=operator_headers)
    assert answer.status_code == 404
    assert "no event" in answer.json()["detail"]
