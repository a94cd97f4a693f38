"""The demo's senders: one signed webhook per domain, from Saleor, Shopify and a CRM form."""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from api.webhooks.signing import SaleorSigner, shopify_headers, standard_headers
from runtime.settings import Settings

Delivery = tuple[str, bytes, dict[str, str]]


@dataclass(frozen=True)
class DemoSenders:
    """Keys and secrets the demo signs with, and the settings that trust them."""

    saleor: SaleorSigner
    shopify_secret: str
    crm_secret: str

    @classmethod
    def create(cls) -> DemoSenders:
        return cls(
            saleor=SaleorSigner(kid="opsgraph-demo"),
            shopify_secret=f"shpss_{secrets.token_hex(16)}",
            crm_secret="whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
        )

    def trusted_by(self, settings: Settings) -> Settings:
        """`settings` with the demo's JWKS and secrets configured."""
        folder = settings.data_dir.resolve() / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        return settings.model_copy(
            update={
                "saleor_jwks_url": self.saleor.write_jwks(Path(folder) / "saleor-jwks.json"),
                "shopify_secrets": SecretStr(self.shopify_secret),
                "standard_webhook_secrets": SecretStr(f"crm={self.crm_secret}"),
            }
        )

    def deliveries(self) -> list[Delivery]:
        """One delivery per domain, each signed as its real sender would sign it."""
        run = uuid.uuid4().hex[:8]
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return [
            self.saleor_delivery("order_created", {"order": saleor_order(run), "issuedAt": now}),
            self.shopify_delivery("orders/paid", shopify_order(run)),
            self.crm_delivery({"type": "lead.created", "timestamp": now, "data": lead(run)}),
            self.saleor_delivery(
                "product_created", {"product": saleor_product(run), "issuedAt": now}
            ),
            self.shopify_delivery("products/update", shopify_product()),
            self.saleor_delivery(
                "order_created", {"order": high_value_order(run), "issuedAt": now}
            ),
        ]

    def saleor_delivery(self, event: str, document: dict[str, Any]) -> Delivery:
        body = json.dumps(document).encode()
        return "/webhooks/saleor", body, self.saleor.headers(event, body)

    def shopify_delivery(self, topic: str, document: dict[str, Any]) -> Delivery:
        body = json.dumps(document).encode()
        headers = shopify_headers(
            body, self.shopify_secret, topic=topic, webhook_id=str(uuid.uuid4())
        )
        return "/webhooks/shopify", body, headers

    def crm_delivery(self, document: dict[str, Any]) -> Delivery:
        body = json.dumps(document).encode()
        headers = standard_headers(body, self.crm_secret, msg_id=f"msg_{uuid.uuid4().hex}")
        return "/webhooks/standard/crm", body, headers


def saleor_order(run: str) -> dict[str, Any]:
    """An order for two seeded variants, by a seeded customer."""
    return {
        "id": f"W2378156-{run}",
        "number": "2378156",
        "userEmail": "yusuf.rossi7301@example.com",
        "user": {"id": "yusuf_rossi_9620", "email": "yusuf.rossi7301@example.com"},
        "total": {"gross": {"amount": 670.84, "currency": "USD"}},
        "billingAddress": {"country": {"code": "US"}},
        "shippingAddress": {"country": {"code": "US"}},
        "lines": [
            {
                "productSku": "3877188862",
                "productName": "Skateboard",
                "quantity": 1,
                "unitPrice": {"gross": {"amount": 182.03, "currency": "USD"}},
            },
            {
                "productSku": "8426249116",
                "productName": "Office Chair",
                "quantity": 1,
                "unitPrice": {"gross": {"amount": 488.81, "currency": "USD"}},
            },
        ],
    }


def shopify_order(run: str) -> dict[str, Any]:
    return {
        "id": f"W4817420-{run}",
        "name": "#4817420",
        "email": "mei.kovacs8020@example.com",
        "total_price": "452.33",
        "currency": "USD",
        "line_items": [
            {"sku": "1421289881", "title": "Mechanical Keyboard", "quantity": 1, "price": "268.77"},
            {"sku": "4238115171", "title": "Tea Kettle", "quantity": 2, "price": "91.78"},
        ],
        "payment_gateway_names": ["credit_card"],
    }


def lead(run: str) -> dict[str, Any]:
    return {
        "id": f"acme-{run}",
        "email": "ops@acme.example",
        "company": "Acme",
        "employees": 240,
        "budget": 25000,
        "source": "demo_request",
        "country": "US",
    }


def saleor_product(run: str) -> dict[str, Any]:
    return {
        "id": f"9100000{run}",
        "name": "Trail Water Bottle",
        "description": "A stainless steel water bottle that keeps drinks cold for 24 hours.",
        "variants": [
            {
                "sku": f"9100001{run}",
                "stocks": [{"quantity": 120}],
                "channelListings": [{"price": {"amount": 24.5, "currency": "USD"}}],
            }
        ],
    }


def shopify_product() -> dict[str, Any]:
    """The seeded Water Bottle runs out: every channel gets locked."""
    return {
        "id": "8310926033",
        "title": "Water Bottle",
        "vendor": "Opsgraph Outfitters",
        "updated_at": datetime.now(UTC).isoformat(),
        "variants": [{"sku": "6469567736", "price": "47.84", "inventory_quantity": 0}],
    }


def high_value_order(run: str) -> dict[str, Any]:
    """An order over the policy's 1,000 threshold: it waits for a reviewer before shipping."""
    chair = {
        "productSku": "8426249116",
        "productName": "Office Chair",
        "quantity": 3,
        "unitPrice": {"gross": {"amount": 488.81, "currency": "USD"}},
    }
    return {
        "id": f"W7000001-{run}",
        "userEmail": "yusuf.rossi7301@example.com",
        "user": {"id": "yusuf_rossi_9620", "email": "yusuf.rossi7301@example.com"},
        "total": {"gross": {"amount": 1466.43, "currency": "USD"}},
        "lines": [chair],
    }
