"""Genuine-format webhook signatures, for tests, the demo and the benchmark.

Each helper signs exactly as the real sender does, so what it produces goes through the same
verifiers as production traffic. Nothing here is used to verify anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from standardwebhooks import Webhook

JSON = "application/json"


class SaleorSigner:
    """A Saleor instance's signing side: an RSA-2048 key, its JWKS, and detached-JWS headers."""

    def __init__(self, *, kid: str | None = None, domain: str = "saleor.example.com") -> None:
        self.kid = kid or secrets.token_urlsafe(8)
        self.domain = domain
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        """The public JWKS document Saleor serves at `/.well-known/jwks.json`."""
        jwk = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def write_jwks(self, path: str | PathLike[str]) -> str:
        """Write the JWKS to `path` and return its `file://` URL, for a JWKS without HTTP."""
        target = Path(path).resolve()
        target.write_text(json.dumps(self.jwks()), encoding="utf-8")
        return target.as_uri()

    def sign(self, body: bytes) -> str:
        """The `Saleor-Signature` value: `<b64url(protected)>..<b64url(signature)>`."""
        return jwt.api_jws.encode(
            body,
            self._key,
            algorithm="RS256",
            headers={"kid": self.kid, "b64": False, "crit": ["b64"], "typ": "JWT"},
            is_payload_detached=True,
        )

    def headers(self, event: str, body: bytes) -> dict[str, str]:
        """The headers Saleor sends with a webhook for `event` (lowercase, e.g. `order_created`)."""
        return {
            "Content-Type": JSON,
            "Saleor-Event": event,
            "Saleor-Domain": self.domain,
            "Saleor-Api-Url": f"https://{self.domain}/graphql/",
            "Saleor-Signature": self.sign(body),
        }


def saleor_hmac(body: bytes, secret: str) -> str:
    """Saleor's deprecated signature: lowercase hex HMAC-SHA256 of the body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def shopify_headers(
    body: bytes,
    secret: str,
    *,
    topic: str,
    webhook_id: str,
    shop_domain: str = "demo.myshopify.com",
) -> dict[str, str]:
    """The headers Shopify sends: base64 HMAC-SHA256 of the body, topic, delivery id, shop."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {
        "Content-Type": JSON,
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Shop-Domain": shop_domain,
    }


def stripe_signature(body: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` value: `t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def stripe_headers(body: bytes, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers Stripe sends with an event."""
    return {
        "Content-Type": JSON,
        "Stripe-Signature": stripe_signature(body, secret, timestamp=timestamp),
    }


def standard_headers(
    body: bytes, secret: str, *, msg_id: str, timestamp: int | None = None
) -> dict[str, str]:
    """The `webhook-*` headers a Standard Webhooks sender adds, signed by the reference package."""
    t = int(time.time()) if timestamp is None else timestamp
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(t, tz=UTC), body.decode())
    return {
        "Content-Type": JSON,
        "webhook-id": msg_id,
        "webhook-timestamp": str(t),
        "webhook-signature": str(signature),
    }
