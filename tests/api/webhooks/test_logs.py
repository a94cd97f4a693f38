"""Values PostgreSQL refuses, sent with a card number: refused, and nothing of them is logged.

The log is read as captured, before any formatter: what is asserted here is that no code
path on the way hands payload text to the logger at all.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from api.webhooks.signing import SaleorSigner, shopify_headers
from runtime.settings import Settings

SHOPIFY_SECRET = "shpss_logs"
SIGNER = SaleorSigner(kid="logs")
CARD = "4111 1111 1111 1111"
MARKER = "private-note-7f3a"


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("logs")
    return Settings(
        database_url=database_url,
        data_dir=folder,
        saleor_jwks_url=SIGNER.write_jwks(folder / "jwks.json"),
        shopify_secrets=SHOPIFY_SECRET,
    )


def assert_no_payload_text(caplog: pytest.LogCaptureFixture) -> None:
    text = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert MARKER not in text
    assert "4111" not in text


# JSON that is valid but holds what PostgreSQL's jsonb refuses: NUL, a lone surrogate.
UNSTORABLE = [r"\u0000", r"\ud800"]


@pytest.mark.parametrize("escape", UNSTORABLE, ids=["nul", "lone surrogate"])
async def test_a_shopify_order_postgres_refuses_is_rejected_without_logging_it(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, escape: str
) -> None:
    caplog.set_level(logging.DEBUG)
    order = {
        "id": 5551000 + len(escape),
        "note": f"{MARKER} card {CARD}",
        "line_items": [{"sku": "TR-42", "title": "PLACEHOLDER", "quantity": 1}],
    }
    body = json.dumps(order).replace("PLACEHOLDER", f"{MARKER}{escape}").encode()
    headers = shopify_headers(body, SHOPIFY_SECRET, topic="orders/create", webhook_id="w-1")

    answer = await client.post("/webhooks/shopify", content=body, headers=headers)

    assert answer.status_code == 400, answer.text
    assert MARKER not in answer.text and "4111" not in answer.text
    assert_no_payload_text(caplog)


@pytest.mark.parametrize("escape", UNSTORABLE, ids=["nul", "lone surrogate"])
async def test_a_saleor_order_postgres_refuses_is_rejected_without_logging_it(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, escape: str
) -> None:
    caplog.set_level(logging.DEBUG)
    order = {
        "id": f"logs-{uuid.uuid4().hex[:8]}",
        "customerNote": f"{MARKER} card {CARD} PLACEHOLDER",
        "lines": [],
    }
    document = {"issuedAt": datetime.now(UTC).isoformat(), "order": order}
    body = json.dumps(document).replace("PLACEHOLDER", escape).encode()

    answer = await client.post(
        "/webhooks/saleor", content=body, headers=SIGNER.headers("order_created", body)
    )

    assert answer.status_code == 400, answer.text
    assert MARKER not in answer.text and "4111" not in answer.text
    assert_no_payload_text(caplog)


@pytest.mark.parametrize("bad", ["NaN", r'"\u0000"', "1e400"], ids=["nan", "nul", "overflow"])
async def test_an_event_postgres_refuses_is_refused_without_logging_it(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    bad: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    body = (
        '{"type": "order.created", "entity": "order:logs-1", "payload": '
        f'{{"note": "{MARKER} card {CARD}", "total": {bad}}}}}'
    ).encode()

    answer = await client.post(
        "/events",
        content=body,
        headers={**operator_headers, "Content-Type": "application/json"},
    )

    assert 400 <= answer.status_code < 500, answer.text
    assert MARKER not in answer.text and "4111" not in answer.text
    assert_no_payload_text(caplog)
