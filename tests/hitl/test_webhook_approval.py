"""A signed high-value Saleor order pauses before fulfillment, visibly in the API, the CLI
and the inbox page; a notice signed with Standard Webhooks tells the receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from standardwebhooks import Webhook

from api.webhooks.signing import SaleorSigner
from runtime.apikeys import Role
from runtime.resources import Resources
from runtime.settings import Settings
from tests.e2e.live import opsgraph_env, run_cli
from tests.fakes.notice_receiver import NoticeReceiver, serve_notice_receiver
from tests.support import drain_queue, make_key, pending_approvals

SIGNER = SaleorSigner(kid="approvals")
NOTIFY_SECRET = "whsec_" + "c2VjcmV0LWZvci1ub3RpY2Vz"


@pytest.fixture(scope="module")
def receiver() -> Iterator[NoticeReceiver]:
    with serve_notice_receiver() as found:
        yield found


@pytest.fixture(scope="module")
def settings(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, receiver: NoticeReceiver
) -> Settings:
    folder = tmp_path_factory.mktemp("webhook-approvals")
    return Settings(
        database_url=database_url,
        data_dir=folder,
        saleor_jwks_url=SIGNER.write_jwks(folder / "jwks.json"),
        notify_url=receiver.url,
        notify_secret=NOTIFY_SECRET,
        job_max_attempts=1,
    )


def saleor_order() -> bytes:
    return json.dumps(
        {
            "order": {
                "id": "#W9962383",
                "userEmail": "fatima.muller6448@example.com",
                "user": {"id": "fatima_muller_6713"},
                "total": {"gross": {"amount": 1899.0, "currency": "USD"}},
                "lines": [
                    {
                        "productSku": "1421289881",
                        "productName": "Mechanical Keyboard",
                        "quantity": 1,
                        "unitPrice": {"gross": {"amount": 1899.0}},
                    }
                ],
            },
            "issuedAt": datetime.now(UTC).isoformat(),
        }
    ).encode()


async def test_a_signed_high_value_order_waits_visibly_for_its_reviewer(
    app: FastAPI,
    client: httpx.AsyncClient,
    reviewer_headers: dict[str, str],
    resources: Resources,
    database_url: str,
    tmp_path: Path,
    receiver: NoticeReceiver,
) -> None:
    body = saleor_order()
    answer = await client.post(
        "/webhooks/saleor", content=body, headers=SIGNER.headers("order_created", body)
    )
    assert answer.status_code == 202
    event_id = answer.json()["event_id"]
    await drain_queue(resources)

    (approval,) = await pending_approvals(client, reviewer_headers, event_id)
    assert approval["proposed"] == {
        "action": "create_fulfillment",
        "args": {"order_id": "#W9962383"},
    }
    assert approval["facts"]["order_total"] == 1899.0

    listed = run_cli("approvals", "list", env=opsgraph_env(tmp_path, database_url=database_url))
    assert listed.returncode == 0, listed.stderr
    assert approval["approval_id"] in listed.stdout and "high_value_order" in listed.stdout
    shown = run_cli(
        "approvals",
        "show",
        approval["approval_id"],
        env=opsgraph_env(tmp_path, database_url=database_url),
    )
    assert "Approve `create_fulfillment`?" in shown.stdout

    reviewer = await make_key(resources, Role.REVIEWER)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as browser:
        await browser.post("/inbox/login", data={"key": reviewer})
        page = (await browser.get("/inbox")).text
        assert approval["approval_id"] in page and "1,899.00" in page

    raised = [
        json.loads(b) for _, b in receiver.received if json.loads(b)["type"] == "approval.raised"
    ]
    assert raised and raised[-1]["data"]["approval_id"] == approval["approval_id"]
    headers, raw = receiver.received[-1]
    Webhook(NOTIFY_SECRET).verify(raw, {k.lower(): v for k, v in headers.items()})

    decided = run_cli(
        "approvals",
        "decide",
        approval["approval_id"],
        "--accept",
        "--key",
        reviewer,
        env=opsgraph_env(tmp_path, database_url=database_url),
    )
    assert decided.returncode == 0, decided.stderr
    assert "decided" in decided.stdout
    await drain_queue(resources)
    view = (await client.get(f"/events/{event_id}", headers=reviewer_headers)).json()
    assert view["status"] == "done"
    finished = [
        json.loads(b) for _, b in receiver.received if json.loads(b)["type"] == "event.finished"
    ]
    assert finished[-1]["data"] == {
        "event_id": event_id,
        "status": "done",
        "summary": view["summary"],
    }
