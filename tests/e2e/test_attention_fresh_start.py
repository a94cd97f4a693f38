"""Nothing ends silently on a fresh start (issue 9, items 3 and 4).

A fresh data directory with no seed: the store learns a variant's stock from Saleor's own
webhook; a signed high-value order for more than that stock, and one for a SKU the store
has never seen, each end `awaiting_approval` with an attention item naming the SKU, and a
signed notice goes out for each. The short one carries procurement's reorder proposal
(velocity, lead time, EOQ, safety stock); accepting it runs procurement, whose purchase is
itself held by the reorder budget rule until a reviewer approves it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from standardwebhooks import Webhook

from api.webhooks.signing import SaleorSigner
from runtime.apikeys import Role
from runtime.database import open_pool
from runtime.migrate import migrate
from runtime.resources import Resources
from runtime.settings import Settings
from tests.conftest import create_database
from tests.fakes.notice_receiver import NoticeReceiver, serve_notice_receiver
from tests.support import drain_queue, make_key

SIGNER = SaleorSigner(kid="fresh-start")
NOTIFY_SECRET = "whsec_" + "ZnJlc2gtc3RhcnQtbm90aWNlcw=="
KNOWN_SKU = "KB-100"
UNKNOWN_SKU = "ZZ-404"


@pytest.fixture(scope="module")
def receiver() -> Iterator[NoticeReceiver]:
    with serve_notice_receiver() as found:
        yield found


@pytest.fixture(scope="module")
async def fresh_database(pg_server: Any) -> str:
    """Migrated, never seeded: no products, no stock, no customers."""
    url = create_database(pg_server, f"fresh_{uuid.uuid4().hex[:12]}")
    async with open_pool(url, min_size=1, max_size=2) as pool:
        await migrate(pool)
    return url


@pytest.fixture(scope="module")
def settings(
    fresh_database: str, tmp_path_factory: pytest.TempPathFactory, receiver: NoticeReceiver
) -> Settings:
    folder = tmp_path_factory.mktemp("fresh-start")
    return Settings(
        database_url=fresh_database,
        data_dir=folder,
        saleor_jwks_url=SIGNER.write_jwks(folder / "jwks.json"),
        notify_url=receiver.url,
        notify_secret=NOTIFY_SECRET,
        job_max_attempts=1,
    )


def signed(event: str, document: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({**document, "issuedAt": datetime.now(UTC).isoformat()}).encode()
    return body, SIGNER.headers(event, body)


def variant_in_stock(quantity: int) -> dict[str, Any]:
    return {
        "productVariant": {
            "id": "UHJvZHVjdFZhcmlhbnQ6MQ==",
            "sku": KNOWN_SKU,
            "name": "Mechanical Keyboard, brown switches",
            "price": {"amount": 1400.0},
            "stocks": [{"quantity": quantity}],
            "product": {"id": "UHJvZHVjdDox", "name": "Mechanical Keyboard"},
        }
    }


def order(order_id: str, sku: str, quantity: int, unit_price: float) -> dict[str, Any]:
    return {
        "order": {
            "id": order_id,
            "userEmail": f"first.timer.{order_id.lower()}@example.com",
            "user": {"id": f"new-customer-{order_id}"},
            "total": {"gross": {"amount": quantity * unit_price, "currency": "USD"}},
            "lines": [
                {
                    "productSku": sku,
                    "productName": "Mechanical Keyboard",
                    "quantity": quantity,
                    "unitPrice": {"gross": {"amount": unit_price}},
                }
            ],
        }
    }


async def post(client: httpx.AsyncClient, event: str, document: dict[str, Any]) -> str:
    body, headers = signed(event, document)
    answer = await client.post("/webhooks/saleor", content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["event_id"])


def notices(receiver: NoticeReceiver, kind: str) -> list[dict[str, Any]]:
    found = []
    for headers, raw in receiver.received:
        Webhook(NOTIFY_SECRET).verify(raw, {k.lower(): v for k, v in headers.items()})
        notice = json.loads(raw)
        if notice["type"] == kind:
            found.append(notice["data"])
    return found


async def test_a_fresh_store_puts_short_and_unknown_orders_before_a_reviewer(
    app: FastAPI, receiver: NoticeReceiver
) -> None:
    resources: Resources = app.state.resources
    reviewer = {"Authorization": f"Bearer {await make_key(resources, Role.REVIEWER)}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        await post(client, "product_variant_back_in_stock", variant_in_stock(1))
        await drain_queue(resources)
        short_event = await post(client, "order_created", order("#S-1", KNOWN_SKU, 3, 1400.0))
        unknown_event = await post(client, "order_created", order("#U-1", UNKNOWN_SKU, 1, 4200.0))
        await drain_queue(resources)

        items = {}
        for event_id in (short_event, unknown_event):
            view = (await client.get(f"/events/{event_id}", headers=reviewer)).json()
            assert view["status"] == "awaiting_approval", view
            found = (
                await client.get("/approvals?status=pending&kind=attention", headers=reviewer)
            ).json()
            (item,) = [a for a in found if a["event_id"] == event_id]
            assert item["kind"] == "attention"
            assert item["interrupt"]["kind"] == "attention"
            items[event_id] = item

        short, unknown = items[short_event], items[unknown_event]
        assert KNOWN_SKU in short["proposed"]["args"]["reason"]
        assert "3 wanted, 1 available" in short["proposed"]["args"]["reason"]
        assert UNKNOWN_SKU in unknown["proposed"]["args"]["reason"]
        assert "unknown to the store" in unknown["proposed"]["args"]["reason"]
        assert unknown["proposed"]["args"]["remedy"] == "hold_and_ask"

        proposal = short["proposed"]["args"]
        assert proposal["remedy"] == "reorder"
        (line,) = proposal["reorder"]
        assert line["item_id"] == KNOWN_SKU
        assert {"daily_velocity", "lead_time_days", "eoq", "safety_stock"} <= set(line["figures"])
        assert line["quantity"] >= 2  # at least the two units the order lacks
        assert "Needs attention" in short["description"] and KNOWN_SKU in short["description"]

        raised = {n["approval_id"]: n for n in notices(receiver, "attention.raised")}
        assert short["approval_id"] in raised and unknown["approval_id"] in raised
        assert KNOWN_SKU in raised[short["approval_id"]]["reason"]
        assert UNKNOWN_SKU in raised[unknown["approval_id"]]["reason"]

        accepted = await client.post(
            f"/approvals/{short['approval_id']}/decision",
            json={"type": "accept"},
            headers=reviewer,
        )
        assert accepted.status_code == 200, accepted.text
        await drain_queue(resources)

        budget = line["quantity"] * line["unit_cost"]
        view = (await client.get(f"/events/{short_event}", headers=reviewer)).json()
        assert budget > 5000  # so the reorder itself waits for the reorder budget rule
        assert view["status"] == "awaiting_approval", view
        pending = (await client.get("/approvals?status=pending", headers=reviewer)).json()
        (reorder,) = [a for a in pending if a["event_id"] == short_event]
        assert reorder["kind"] == "approval"
        assert reorder["tool_name"] == "propose_reorder"
        assert [rule["id"] for rule in reorder["rules"]] == ["reorder_budget"]
        decided = await client.post(
            f"/approvals/{reorder['approval_id']}/decision",
            json={"type": "accept"},
            headers=reviewer,
        )
        assert decided.status_code == 200, decided.text
        await drain_queue(resources)
        view = (await client.get(f"/events/{short_event}", headers=reviewer)).json()

        assert view["status"] == "done", view
        assert "reorder proposed" in view["summary"]
        procurement = [
            call
            for outcome in view["timeline"]
            for call in outcome["tool_calls"]
            if call["name"] == "propose_reorder"
        ]
        assert procurement and procurement[-1]["status"] == "success"
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT item_id, quantity, reason FROM store_reorders WHERE item_id = %s",
            (KNOWN_SKU,),
        )
        rows = await cursor.fetchall()
    assert [(r["item_id"], r["quantity"]) for r in rows] == [(KNOWN_SKU, line["quantity"])]
    assert "EOQ" in rows[0]["reason"] and "safety stock" in rows[0]["reason"]
