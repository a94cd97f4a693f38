"""Shopify webhook verification: base64 HMAC-SHA256 of the raw body in `X-Shopify-Hmac-Sha256`.

Shopify signs with the app's client secret; during a secret rotation both the old and the new
secret are configured, and a request signed with either is accepted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence

from api.webhooks.errors import SignatureError, SourceNotEnabled, require_header

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"


def verify_shopify(body: bytes, headers: Mapping[str, str], *, secrets: Sequence[str]) -> None:
    """Accept the request only if its HMAC matches `body` under one of `secrets`.

    Empty secrets are ignored: an empty HMAC key is one anybody can sign with.
    """
    usable = _usable_secrets(secrets)
    provided = require_header(headers, SIGNATURE_HEADER)
    try:
        digest = base64.b64decode(provided, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"malformed {SIGNATURE_HEADER} header") from None
    for secret in usable:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        if hmac.compare_digest(expected, digest):
            return
    raise SignatureError("signature does not match the body")


def _usable_secrets(secrets: Sequence[str]) -> list[str]:
    if isinstance(secrets, str):
        raise TypeError("secrets must be a sequence of strings, not a single string")
    usable = [secret for secret in secrets if secret]
    if not usable:
        raise SourceNotEnabled("shopify: no webhook secret is configured")
    return usable
