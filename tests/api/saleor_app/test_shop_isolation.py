"""Two shops installed side by side are two tenants: approvals, inbox, threads, store,
knowledge base, audit trail and Saleor actions stay with the shop they belong to.

Both fake shops are built the same way, so their orders, products and variants carry the
same Saleor ids: anything keyed by a Saleor id alone would mix the shops up.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from connectors.store.export import export_store
from hitl.audit import verify_audit
from runtime.apikeys import Role
from runtime.resources import Resources
from runtime.settings import Settings
from service.worker import run_worker
from tests.api.saleor_app.conftest import PUBLIC_URL
from tests.fakes.saleor_server import FakeSaleor
from tests.fakes.saleor_state import Order
from tests.saleor_support import (
    high_value_order,
    installed,
    order_created,
    read_manifest,
    stock_lamps_and_chairs,
)
from tests.support import drain_queue, make_key, rows, wait_for

SECRET_KEY = Fernet.generate_key().decode()
KB_WORD = "quokkaventure"


@pytest.fixture(scope="module")
def settings(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    shop_a: FakeSaleor,
    shop_b: FakeSaleor,
) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("isolation"),
        public_url=PUBLIC_URL,
        secret_key=SECRET_KEY,
        saleor_allowed_api_urls=[shop_a.api_url, shop_b.api_url],
        pool_max_size=4,
        job_max_attempts=1,
    )


class Shop:
    """One installed shop as its people see it: its tenant, keys, order and approval."""

    def __init__(self, fake: FakeSaleor, tenant: str, keys: dict[Role, str]) -> None:
        self.fake = fake
        self.tenant = tenant
        self.keys = keys
        self.order: Order | None = None
        self.event_id = ""
        self.approval_id = ""

    def headers(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


@pytest.fixture(scope="module")
async def shops(
    client: httpx.AsyncClient, resources: Resources, shop_a: FakeSaleor, shop_b: FakeSaleor
) -> tuple[Shop, Shop]:
    """Both shops installed, each with a high-value order paused for its reviewer."""
    both = []
    manifest = await read_manifest(client)
    for fake, lamps in ((shop_a, 2), (shop_b, 3)):
        tenant = await installed(client, fake)
        keys = {role: await make_key(resources, role, tenant) for role in Role}
        shop = Shop(fake, tenant, keys)
        stock_lamps_and_chairs(fake)
        shop.order = high_value_order(fake, lamps)
        shop.event_id = await order_created(client, fake, manifest, shop.order)
        both.append(shop)
    a, b = both
    assert a.tenant != b.tenant
    assert a.order is not None and b.order is not None and a.order.id == b.order.id
    await drain_queue(resources)
    for shop in both:
        answer = await client.get(
            "/approvals", params={"status": "pending"}, headers=shop.headers(Role.REVIEWER)
        )
        assert answer.status_code == 200, answer.text
        (approval,) = answer.json()
        assert approval["event_id"] == shop.event_id
        assert approval["tool_name"] == "create_fulfillment"
        shop.approval_id = approval["approval_id"]
    return a, b


async def test_approvals_of_the_other_shop_do_not_exist(
    client: httpx.AsyncClient, shops: tuple[Shop, Shop]
) -> None:
    a, b = shops
    for me, other in ((a, b), (b, a)):
        reviewer = me.headers(Role.REVIEWER)
        listed = await client.get("/approvals", headers=reviewer)
        assert [x["approval_id"] for x in listed.json()] == [me.approval_id]
        detail = await client.get(f"/approvals/{other.approval_id}", headers=reviewer)
        assert detail.status_code == 404
        decision = await client.post(
            f"/approvals/{other.approval_id}/decision", json={"type": "accept"}, headers=reviewer
        )
        assert decision.status_code == 404, decision.text
        admin = await client.get(f"/approvals/{other.approval_id}", headers=me.headers(Role.ADMIN))
        assert admin.status_code == 404
    still = await client.get(f"/approvals/{a.approval_id}", headers=a.headers(Role.REVIEWER))
    assert still.json()["status"] == "pending"


async def test_the_inbox_shows_only_the_shops_own_approvals(
    app: Any, client: httpx.AsyncClient, shops: tuple[Shop, Shop]
) -> None:
    a, b = shops
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        signed_in = await browser.post("/inbox/login", data={"key": a.keys[Role.REVIEWER]})
        assert signed_in.status_code == 303, signed_in.text
        page = await browser.get("/inbox")
        assert page.status_code == 200
        assert a.approval_id in page.text and b.approval_id not in page.text
        other = await browser.get(f"/inbox/{b.approval_id}")
        assert other.status_code == 404
        vote = await browser.post(f"/inbox/{b.approval_id}/decision", data={"type": "accept"})
        assert vote.status_code == 303
    pending = await client.get(f"/approvals/{b.approval_id}", headers=b.headers(Role.REVIEWER))
    assert pending.json()["status"] == "pending"


async def test_event_threads_of_the_other_shop_do_not_exist(
    client: httpx.AsyncClient, shops: tuple[Shop, Shop]
) -> None:
    a, b = shops
    reader = a.headers(Role.OPERATOR)
    assert (await client.get(f"/threads/event:{b.event_id}", headers=reader)).status_code == 404
    state = await client.get(f"/threads/event:{b.event_id}/state", headers=reader)
    assert state.status_code == 404
    own = await client.get(f"/threads/event:{a.event_id}", headers=reader)
    assert own.status_code == 200, own.text
    found = await client.post("/threads/search", json={"limit": 100}, headers=reader)
    assert found.status_code == 200, found.text
    ids = {thread["thread_id"] for thread in found.json()}
    assert f"event:{a.event_id}" in ids and f"event:{b.event_id}" not in ids


async def test_each_shops_store_holds_only_its_own_records(
    resources: Resources, shops: tuple[Shop, Shop]
) -> None:
    a, b = shops
    store_a = await export_store(resources.pool, tenant_id=a.tenant)
    store_b = await export_store(resources.pool, tenant_id=b.tenant)
    default = await export_store(resources.pool, tenant_id="default")
    assert a.order is not None
    for store, lamps in ((store_a, 2), (store_b, 3)):  # the same Saleor id, a record each
        assert set(store["orders"]) == {a.order.id}
        lines = {item["item_id"]: item for item in store["orders"][a.order.id]["items"]}
        assert lines["LAMP-1"]["quantity"] == lamps
    assert a.order.id not in default["orders"]
    assert not set(store_a["users"]) & set(default["users"])


async def test_a_document_ingested_for_one_shop_is_not_found_by_the_other(
    client: httpx.AsyncClient, shops: tuple[Shop, Shop]
) -> None:
    a, b = shops
    upload = await client.post(
        "/kb/documents",
        files={"file": ("returns.md", f"# Returns\n\nThe {KB_WORD} policy: 30 days.\n".encode())},
        headers=a.headers(Role.ADMIN),
    )
    assert upload.status_code == 200, upload.text
    (document,) = (await client.get("/kb/documents", headers=a.headers(Role.OPERATOR))).json()
    assert document["source"].endswith("returns.md")
    assert (await client.get("/kb/documents", headers=b.headers(Role.OPERATOR))).json() == []
    for shop, expected in ((a, 1), (b, 0)):
        for mode in ("text", "hybrid"):
            found = await client.get(
                "/kb/search",
                params={"q": KB_WORD, "mode": mode},
                headers=shop.headers(Role.OPERATOR),
            )
            assert found.status_code == 200, found.text
            assert len(found.json()["hits"]) == expected, (shop.tenant, mode)
    deleted = await client.delete(
        f"/kb/documents/{document['document_id']}", headers=b.headers(Role.ADMIN)
    )
    assert deleted.status_code == 404


async def test_metrics_are_not_readable_with_a_shops_key(
    client: httpx.AsyncClient, shops: tuple[Shop, Shop], operator_headers: dict[str, str]
) -> None:
    """The figures count every tenant's events: a shop's key must not read the others'."""
    a, b = shops
    for shop in (a, b):
        answer = await client.get("/metrics", headers=shop.headers(Role.OPERATOR))
        assert answer.status_code == 403, answer.text
    whole = await client.get("/metrics", headers=operator_headers)
    assert whole.status_code == 200
    assert a.tenant not in whole.text and b.tenant not in whole.text
    assert not re.search(r'tenant(_id)?="', whole.text)


async def test_a_decision_acts_in_its_own_shop_with_its_own_token(
    client: httpx.AsyncClient, resources: Resources, shops: tuple[Shop, Shop]
) -> None:
    a, b = shops
    b_documents = len(b.fake.documents)
    answer = await client.post(
        f"/approvals/{a.approval_id}/decision",
        json={"type": "accept"},
        headers=a.headers(Role.REVIEWER),
    )
    assert answer.status_code == 200, answer.text
    await drain_queue(resources)

    assert a.order is not None and b.order is not None
    assert a.fake.state.applied["orderFulfill"] == 1
    assert a.order.status == "FULFILLED" and len(a.order.fulfillments) == 1
    assert b.fake.state.applied["orderFulfill"] == 0 and not b.order.fulfillments
    assert len(b.fake.documents) == b_documents  # nothing was sent to shop B at all
    assert not a.fake.invalid_documents
    (event,) = await rows(resources, "SELECT status FROM events WHERE event_id = %s", a.event_id)
    assert event["status"] == "done"
    pending_b = await client.get(f"/approvals/{b.approval_id}", headers=b.headers(Role.REVIEWER))
    assert pending_b.json()["status"] == "pending"


async def test_the_audit_trail_keeps_each_decision_with_its_shop(
    resources: Resources, shops: tuple[Shop, Shop]
) -> None:
    a, b = shops
    query = "SELECT subject, details::text AS details FROM audit_log WHERE tenant_id = %s"
    trail_a = await rows(resources, query, a.tenant)
    trail_b = await rows(resources, query, b.tenant)
    text_b = " ".join(f"{r['subject']} {r['details']}" for r in trail_b)
    assert any(a.approval_id in f"{r['subject']} {r['details']}" for r in trail_a)
    assert a.approval_id not in text_b and a.event_id not in text_b
    for tenant in (a.tenant, b.tenant):
        assert (await verify_audit(resources.pool, tenant_id=tenant)).ok


async def test_events_and_keys_of_the_other_shop_cannot_be_touched(
    client: httpx.AsyncClient, shops: tuple[Shop, Shop]
) -> None:
    a, b = shops
    replay = await client.post(
        f"/events/{b.event_id}/replay", params={"force": "true"}, headers=a.headers(Role.ADMIN)
    )
    assert replay.status_code == 404, replay.text
    keys_b = await client.get("/keys", headers=b.headers(Role.ADMIN))
    assert keys_b.status_code == 200
    ids_b = [key["key_id"] for key in keys_b.json()]
    keys_a = await client.get("/keys", headers=a.headers(Role.ADMIN))
    assert not {key["key_id"] for key in keys_a.json()} & set(ids_b)
    revoke = await client.post(f"/keys/{ids_b[0]}/revoke", headers=a.headers(Role.ADMIN))
    assert revoke.status_code == 404
    still = await client.get("/events", headers=b.headers(Role.OPERATOR))
    assert still.status_code == 200


async def test_chat_looks_up_customers_in_its_own_tenant_only(
    client: httpx.AsyncClient,
    resources: Resources,
    shops: tuple[Shop, Shop],
    operator_headers: dict[str, str],
) -> None:
    """The default tenant's seeded customer is found with its key, not with a shop's."""
    a, b = shops
    worker = asyncio.create_task(run_worker(resources))
    try:
        ask = {"message": "email ava.lopez3569@example.com"}
        own = await client.post("/chat", json=ask, headers=operator_headers)
        assert own.status_code == 200, own.text
        assert "Ava" in own.json()["reply"]
        theirs = await client.post("/chat", json=ask, headers=a.headers(Role.OPERATOR))
        assert theirs.status_code == 200, theirs.text
        assert "Ava" not in theirs.json()["reply"]
        (lookup,) = theirs.json()["actions"]
        assert (lookup["tool"], lookup["result"]) == (
            "find_user_id_by_email",
            "Error: user not found",
        )
        thread = theirs.json()["thread_id"]
        run = await client.post(
            f"/threads/{thread}/runs",
            json={"assistant_id": "chat", "input": {"messages": []}},
            headers=b.headers(Role.OPERATOR),
        )
        assert run.status_code == 404, run.text

        async def idle() -> bool:
            found = await rows(
                resources, "SELECT 1 FROM runs WHERE status IN ('pending', 'running')"
            )
            return not found

        await wait_for(idle, timeout_s=30, what="the chat runs to end")
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
