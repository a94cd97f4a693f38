"""docs/saleor.md followed as a shop's operator would, with real processes.

`opsgraph serve --no-worker` and a separate `opsgraph worker` on an empty database (they
migrate it; nothing is seeded) and a fresh data directory (the secret key is made there on
first use and shared by both). A fake Saleor on loopback installs the app through the
manifest's `tokenTargetUrl`; the reviewer key comes from `opsgraph keys create`; the order is
the body Saleor builds from the manifest's subscription query; the reviewer approves in the
inbox's HTML form; the fulfilment appears in the fake shop, once.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from connectors.saleor_documents import load_schema
from runtime.saleor_links import tenant_id_for
from service.process import background
from tests.conftest import create_database
from tests.e2e.live import opsgraph_env, run_cli, serving, wait_event
from tests.fakes.saleor_server import FakeSaleor, serve_fake_saleor

KEY_PATTERN = re.compile(r"\bog_[\w-]+")


@pytest.fixture(scope="module")
def shop() -> Iterator[FakeSaleor]:
    load_schema()  # parsed before the app asks: the first parse is slow on a busy machine
    with serve_fake_saleor() as fake:
        warehouse = fake.state.add_warehouse("Europe")
        for sku, name in (("LAMP-1", "Desk Lamp"), ("CHAIR-1", "Office Chair")):
            fake.state.add_variant(fake.state.add_product(name), sku, {warehouse: 10})
        yield fake


@pytest.fixture(scope="module")
def env(
    pg_server: Any, tmp_path_factory: pytest.TempPathFactory, shop: FakeSaleor
) -> dict[str, str]:
    """The settings docs/saleor.md asks for, and nothing else (no OPSGRAPH_SECRET_KEY)."""
    url = create_database(pg_server, f"walk_{uuid.uuid4().hex[:12]}")
    found = opsgraph_env(tmp_path_factory.mktemp("walk") / "data", database_url=url)
    return found | {
        "OPSGRAPH_PUBLIC_URL": f"http://127.0.0.1:{found['OPSGRAPH_PORT']}",
        "OPSGRAPH_SALEOR_ALLOWED_API_URLS": shop.api_url,
    }


def key_from(result: Any) -> str:
    assert result.returncode == 0, result.stderr
    found = KEY_PATTERN.search(result.stdout)
    assert found is not None, result.stdout
    return found.group(0)


def wait_status(base: str, key: str, event_id: str, status: str, timeout_s: float = 90) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + timeout_s
    while True:
        seen = httpx.get(f"{base}/events/{event_id}", headers=headers, timeout=10).json()
        if seen["status"] == status:
            return
        assert time.monotonic() < deadline, f"event {event_id} still {seen['status']}"
        time.sleep(0.3)


def test_install_key_order_and_inbox_approval_as_the_docs_say(
    env: dict[str, str], shop: FakeSaleor, tmp_path: Path
) -> None:
    with (
        serving(env, "--no-worker", log=tmp_path / "serve.log") as base,
        background(["service.cli", "worker"], log=tmp_path / "worker.log", env=env),
    ):
        # 1. the manifest
        manifest = httpx.get(f"{base}/saleor/manifest", timeout=10).json()
        assert manifest["tokenTargetUrl"] == f"{base}/saleor/register"
        assert {"MANAGE_ORDERS", "MANAGE_PRODUCTS"} <= set(manifest["permissions"])

        # 3. Saleor posts the app token
        register = httpx.post(
            manifest["tokenTargetUrl"],
            json={"auth_token": shop.app_token},
            headers={"saleor-api-url": shop.api_url},
            timeout=30,
        )
        assert register.json() == {"success": True}, register.text
        tenant = tenant_id_for(shop.api_url)  # the rule step 3 describes: host, then port
        assert tenant == f"saleor-127-0-0-1-{urlsplit(shop.api_url).port}"

        # 4. keys for the shop's people, in that tenant
        reviewer = key_from(
            run_cli(
                "keys",
                "create",
                "--tenant",
                tenant,
                "--role",
                "reviewer",
                "--name",
                "Alice",
                env=env,
            )
        )
        default_key = key_from(
            run_cli("keys", "create", "--role", "reviewer", "--name", "Other", env=env)
        )

        # 5. a test order, as Saleor posts it
        lamp, chair = shop.state.variants.values()
        order = shop.state.add_order([(lamp, 2, 150.0), (chair, 1, 900.0)])  # 1,200 USD
        (hook,) = [w for w in manifest["webhooks"] if "ORDER_CREATED" in w["asyncEvents"]]
        body = shop.delivery(
            hook["query"], {"__typename": "OrderCreated", "order": shop.state.order_view(order)}
        )
        delivered = httpx.post(
            hook["targetUrl"],
            content=body,
            headers=shop.sign_delivery(body, event="order_created"),
            timeout=10,
        )
        assert delivered.status_code == 202, delivered.text
        event_id = delivered.json()["event_id"]
        listed = httpx.get(
            f"{base}/events", headers={"Authorization": f"Bearer {reviewer}"}, timeout=10
        ).json()
        assert [e["event_id"] for e in listed] == [event_id]
        elsewhere = httpx.get(
            f"{base}/events", headers={"Authorization": f"Bearer {default_key}"}, timeout=10
        ).json()
        assert elsewhere == []  # keys of the default tenant see nothing of the shop
        wait_status(base, reviewer, event_id, "awaiting_approval")

        # the reviewer approves in the inbox
        with httpx.Client(base_url=base, timeout=30) as browser:
            signed_in = browser.post("/inbox/login", data={"key": reviewer})
            assert signed_in.status_code == 303, signed_in.text
            inbox = browser.get("/inbox").text
            (approval_id,) = set(re.findall(r"/inbox/(apr_\w+)", inbox))
            page = browser.get(f"/inbox/{approval_id}")
            assert f'action="/inbox/{approval_id}/decision"' in page.text
            decided = browser.post(f"/inbox/{approval_id}/decision", data={"type": "accept"})
            assert decided.status_code == 303
            assert "Accepted" in browser.get(decided.headers["location"]).text

        final = wait_event(base, reviewer, event_id, timeout_s=90)
        assert final["status"] == "done", (tmp_path / "worker.log").read_text()[-3000:]

    assert order.status == "FULFILLED" and len(order.fulfillments) == 1
    assert shop.state.applied["orderFulfill"] == 1
    assert not shop.invalid_documents
    assert (Path(env["OPSGRAPH_DATA_DIR"]) / "secret.key").stat().st_mode & 0o077 == 0
    logs = (tmp_path / "serve.log").read_text() + (tmp_path / "worker.log").read_text()
    assert shop.app_token not in logs and reviewer not in logs
