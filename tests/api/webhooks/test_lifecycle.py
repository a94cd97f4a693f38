"""Signed platform events after an order's creation do what a shop expects, end to end:
webhook -> inbox -> worker -> hierarchy (default policy) -> store, outbox and ledger.

Saleor ORDER_UPDATED paid / cancelled / shipped, and a Stripe charge.dispute.created.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from api.webhooks.signing import SaleorSigner, stripe_headers
from connectors.billing import issue_invoice
from connectors.stock import reserve
from runtime.resources import Resources
from runtime.settings import Settings
from tests.support import drain_queue

SIGNER = SaleorSigner(kid="lifecycle")
STRIPE_SECRET = "whsec_lifecycle"


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("lifecycle")
    return Settings(
        database_url=database_url,
        data_dir=folder,
        saleor_jwks_url=SIGNER.write_jwks(folder / "jwks.json"),
        stripe_secrets=SecretStr(STRIPE_SECRET),
        job_max_attempts=1,
    )


def order_updated(order_id: str, user: str, email: str, **state: Any) -> bytes:
    return json.dumps(
        {
            "__typename": "OrderUpdated",
            "issuedAt": datetime.now(UTC).isoformat(),
            "order": {
                "id": order_id,
                "userEmail": email,
                "user": {"id": user, "email": email},
                "total": {"gross": {"amount": 182.03, "currency": "USD"}},
                "lines": [
                    {
                        "productSku": "3877188862",
                        "productName": "Skateboard",
                        "quantity": 1,
                        "unitPrice": {"gross": {"amount": 182.03}},
                    }
                ],
                **state,
            },
        }
    ).encode()


async def deliver_saleor(client: httpx.AsyncClient, resources: Resources, body: bytes) -> str:
    answer = await client.post(
        "/webhooks/saleor", content=body, headers=SIGNER.headers("order_updated", body)
    )
    assert answer.status_code == 202, answer.text
    await drain_queue(resources)
    event_id: str = answer.json()["event_id"]
    return event_id


async def fetch(resources: Resources, query: str, *args: Any) -> list[dict[str, Any]]:
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(query, args)
        return list(await cursor.fetchall())


async def event_row(resources: Resources, event_id: str) -> dict[str, Any]:
    (row,) = await fetch(
        resources, "SELECT status, type, domains, summary FROM events WHERE event_id = %s", event_id
    )
    return row


async def ledger(resources: Resources, event_id: str) -> list[str]:
    rows = await fetch(
        resources,
        "SELECT tool_name FROM tool_ledger WHERE thread_id = %s AND tool_name <> %s"
        " ORDER BY created_at, tool_call_id",
        f"event:{event_id}",
        "mirror_into_store",
    )
    return [row["tool_name"] for row in rows]


async def order_doc(resources: Resources, order_id: str) -> dict[str, Any]:
    (row,) = await fetch(
        resources,
        "SELECT doc FROM store_orders WHERE tenant_id = 'default' AND order_id = %s",
        order_id,
    )
    doc: dict[str, Any] = row["doc"]
    return doc


async def mail_to(resources: Resources, email: str) -> list[dict[str, Any]]:
    return await fetch(
        resources,
        "SELECT subject, body FROM email_outbox WHERE recipient = %s ORDER BY created_at",
        email,
    )


async def test_order_updated_paid_is_invoiced_and_fulfilled_once(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    email = "fatima.anderson1447@example.com"
    body = order_updated(
        "#W2974929", "fatima_anderson_2157", email, status="UNFULFILLED", isPaid=True
    )

    event_id = await deliver_saleor(client, resources, body)

    row = await event_row(resources, event_id)
    assert (row["status"], row["type"]) == ("done", "order.updated")
    assert row["domains"] == ["ecommerce", "billing"]
    assert sorted(await ledger(resources, event_id)) == [
        "create_fulfillment",
        "issue_invoice",
        "reserve_stock",
        "send_order_confirmation",
    ]
    order = await order_doc(resources, "#W2974929")
    assert order["status"] == "processed"
    (tracking,) = order["fulfillments"][-1]["tracking_id"]
    invoices = await fetch(
        resources, "SELECT status, total FROM store_invoices WHERE order_id = %s", "#W2974929"
    )
    assert [(i["status"], str(i["total"])) for i in invoices] == [("issued", "182.03")]
    (mail,) = await mail_to(resources, email)
    assert mail["subject"] == "Your order #W2974929 is on its way"
    assert tracking in mail["body"]

    # Paid again (the platform repeats itself): fulfilment is already done, nothing ships twice.
    again = order_updated(
        "#W2974929", "fatima_anderson_2157", email, status="UNFULFILLED", isPaid=True, number="2"
    )
    second = await deliver_saleor(client, resources, again)
    assert (await event_row(resources, second))["status"] == "done"
    assert "issue_invoice" in await ledger(resources, second)
    assert not {"reserve_stock", "create_fulfillment"} & set(await ledger(resources, second))
    assert len((await order_doc(resources, "#W2974929"))["fulfillments"]) == 1
    assert "already shipped" in (await event_row(resources, second))["summary"]


async def test_order_updated_cancelled_releases_stock_voids_and_tells_the_customer(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    order_id, email = "#W5694685", "evelyn.kovacs5369@example.com"
    async with resources.pool.connection() as conn:
        held = await reserve(
            conn, tenant_id="default", order_id=order_id, quantities={"3909406921": 1}
        )
        draft = {
            "order_id": order_id,
            "currency": "USD",
            "lines": [{"sku": "3909406921", "quantity": 1, "unit_price": "98.25"}],
            "subtotal": "98.25",
            "tax": "0",
            "total": "98.25",
        }
        await issue_invoice(conn, tenant_id="default", draft=draft)
    assert held["reserved"]
    (before,) = await fetch(
        resources, "SELECT reserved FROM store_stock WHERE item_id = %s", "3909406921"
    )

    event_id = await deliver_saleor(
        client,
        resources,
        order_updated(order_id, "evelyn_kovacs_6742", email, status="CANCELED"),
    )

    assert (await event_row(resources, event_id))["status"] == "done"
    assert sorted(await ledger(resources, event_id)) == [
        "release_stock",
        "send_order_notice",
        "void_invoice",
    ]
    assert (await order_doc(resources, order_id))["status"] == "cancelled"
    reservations = await fetch(
        resources, "SELECT status FROM store_reservations WHERE order_id = %s", order_id
    )
    assert [r["status"] for r in reservations] == ["released"]
    (after,) = await fetch(
        resources, "SELECT reserved FROM store_stock WHERE item_id = %s", "3909406921"
    )
    assert after["reserved"] == before["reserved"] - 1
    invoices = await fetch(
        resources, "SELECT status FROM store_invoices WHERE order_id = %s", order_id
    )
    assert [i["status"] for i in invoices] == ["void"]
    (mail,) = await mail_to(resources, email)
    assert mail["subject"] == f"Your order {order_id} has been cancelled"


async def test_order_updated_shipped_sends_tracking_and_logs_a_touchpoint(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    order_id, email = "#W8808563", "shipped.customer@example.com"
    body = order_updated(
        order_id,
        "fatima_nguyen_7539",
        email,
        status="FULFILLED",
        fulfillments=[{"trackingNumber": "1ZLIFECYCLE01"}],
    )

    event_id = await deliver_saleor(client, resources, body)

    row = await event_row(resources, event_id)
    assert (row["status"], row["domains"]) == ("done", ["ecommerce", "crm"])
    assert sorted(await ledger(resources, event_id)) == [
        "log_touchpoint",
        "record_shipment",
        "send_order_notice",
    ]
    order = await order_doc(resources, order_id)
    assert order["fulfillments"][-1]["tracking_id"] == ["1ZLIFECYCLE01"]
    (mail,) = await mail_to(resources, email)
    assert mail["subject"] == f"Your order {order_id} has shipped"
    assert "1ZLIFECYCLE01" in mail["body"]
    touchpoints = await fetch(
        resources,
        "SELECT customer_ref, kind, ref FROM store_crm_touchpoints WHERE ref = %s",
        order_id,
    )
    assert [(t["customer_ref"], t["kind"]) for t in touchpoints] == [
        ("fatima_nguyen_7539", "order_shipped")
    ]


async def test_a_stripe_dispute_freezes_refunds_and_drafts_the_evidence(
    client: httpx.AsyncClient, resources: Resources, operator_headers: dict[str, str]
) -> None:
    order_id = "#W3897284"
    event = {
        "id": "evt_dispute_1",
        "object": "event",
        "type": "charge.dispute.created",
        "created": int(time.time()),
        "data": {
            "object": {
                "id": "dp_1",
                "object": "dispute",
                "amount": 26758,
                "currency": "usd",
                "charge": "ch_1",
                "reason": "fraudulent",
                "status": "needs_response",
                "metadata": {"order_id": order_id},
            }
        },
    }
    body = json.dumps(event).encode()
    answer = await client.post(
        "/webhooks/stripe", content=body, headers=stripe_headers(body, STRIPE_SECRET)
    )
    assert answer.status_code == 202, answer.text
    await drain_queue(resources)
    event_id = answer.json()["event_id"]

    # The evidence draft waits for a reviewer (an attention item) before it is submitted.
    assert (await event_row(resources, event_id))["status"] == "awaiting_approval"
    (review,) = await fetch(
        resources, "SELECT kind, proposed FROM approvals WHERE event_id = %s", event_id
    )
    assert review["kind"] == "attention"
    assert review["proposed"]["args"]["problem"] == "evidence_review"
    assert await ledger(resources, event_id) == ["freeze_refunds", "draft_dispute_evidence"]
    assert (await order_doc(resources, order_id))["disputed"] is True
    (dispute,) = await fetch(
        resources, "SELECT order_id, status, evidence FROM store_disputes WHERE dispute_id = 'dp_1'"
    )
    assert (dispute["order_id"], dispute["status"]) == (order_id, "evidence_draft")
    evidence = dispute["evidence"]
    assert evidence["order"]["order_id"] == order_id
    assert evidence["customer"]["id"] == "noah_hernandez_4232"
    assert {"fulfilment", "messages"} <= set(evidence)

    # Refunds on the order are frozen: any refund now waits for a reviewer.
    refund = await client.post(
        "/events",
        headers=operator_headers,
        json={
            "type": "refund.created",
            "entity": f"order:{order_id}",
            "payload": {"order_id": order_id, "amount": 5.0},
        },
    )
    assert refund.status_code == 202
    await drain_queue(resources)
    refund_id = refund.json()["event_id"]
    assert (await event_row(resources, refund_id))["status"] == "awaiting_approval"
    (approval,) = await fetch(
        resources, "SELECT rules FROM approvals WHERE event_id = %s", refund_id
    )
    assert "disputed_refund" in [rule["id"] for rule in approval["rules"]]
    assert await ledger(resources, refund_id) == []
