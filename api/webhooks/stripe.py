"""Stripe webhook verification: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`.

Each `v1` is a hex HMAC-SHA256 of `"{t}.{body}"`; Stripe sends one per active endpoint secret
while a secret is being rolled, and any of them may match any configured secret. The signed
timestamp bounds replays: it must lie within `tolerance_s` of now, in either direction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping, Sequence

from api.webhooks.errors import SignatureError, SourceNotEnabled, require_header

SIGNATURE_HEADER = "Stripe-Signature"
_TIMESTAMP = re.compile(r"[0-9]{1,15}")


def verify_stripe(
    body: bytes,
    headers: Mapping[str, str],
    *,
    secrets: Sequence[str],
    tolerance_s: int = 300,
    now: float | None = None,
) -> None:
    """Accept the request only if a `v1` signature matches and its timestamp is fresh."""
    if isinstance(secrets, str):
        raise TypeError("secrets must be a sequence of strings, not a single string")
    usable = [secret for secret in secrets if secret]
    if not usable:
        raise SourceNotEnabled("stripe: no webhook secret is configured")
    timestamp, signatures = _parse(require_header(headers, SIGNATURE_HEADER))
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_s:
        raise SignatureError("timestamp outside the tolerance window")
    signed = timestamp.encode() + b"." + body
    for secret in usable:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
        if any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            return
    raise SignatureError("no v1 signature matches the body")


def _parse(header: str) -> tuple[str, list[bytes]]:
    """The timestamp exactly as sent (it is part of the signed text) and the v1 digests."""
    timestamps: list[str] = []
    signatures: list[bytes] = []
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            raise SignatureError(f"malformed {SIGNATURE_HEADER} header")
        if name == "t":
            timestamps.append(value)
        elif name == "v1":
            try:
                signatures.append(bytes.fromhex(value))
            except ValueError:
                raise SignatureError(f"malformed {SIGNATURE_HEADER} header") from None
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]):
        raise SignatureError(f"malformed {SIGNATURE_HEADER} header: need one numeric t=")
    if not signatures:
        raise SignatureError(f"no v1 signature in {SIGNATURE_HEADER} header")
    return timestamps[0], signatures
