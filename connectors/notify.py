"""Outbound notifications, signed the Standard Webhooks way so any receiver can verify them.

The body is `{"type", "timestamp", "data"}`; `webhook-id` is the caller's message id, stable
across retries so the receiver can drop duplicates. Failures raise `NoticeFailed` with a
message fit for logs: no secret, and of the URL only its origin (webhook URLs often carry a
token in the path or query).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


class NoticeFailed(Exception):
    """The receiver did not take the notice: an error status, or no answer at all."""


async def post_notice(
    client: httpx.AsyncClient,
    url: str,
    secret: str,
    *,
    kind: str,
    data: dict[str, Any],
    msg_id: str,
) -> None:
    """POST one signed notice; return when the receiver answers 2xx, else raise NoticeFailed.

    `data` must be JSON-serializable. Redirects are not followed (the client's default).
    """
    key = _signing_key(secret)
    if not msg_id or any(c.isspace() for c in msg_id):
        raise ValueError("a notice's msg_id must be non-empty, without whitespace")
    sent_at = datetime.now(UTC)
    stamp = sent_at.isoformat(timespec="microseconds").replace("+00:00", "Z")
    body = json.dumps(
        {"type": kind, "timestamp": stamp, "data": data},
        separators=(",", ":"),
        allow_nan=False,
    )
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": str(Webhook(key).sign(msg_id, sent_at, body)),
    }
    where = f"{kind} notice {msg_id} to {_origin(url)}"
    try:
        response = await client.post(url, content=body.encode(), headers=headers)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise NoticeFailed(f"{where} failed: {type(exc).__name__}") from None
    if not response.is_success:
        raise NoticeFailed(f"{where} was refused: HTTP {response.status_code}")


def _signing_key(secret: str) -> bytes:
    """The key of a `whsec_<base64>` secret, decoded strictly (the package decodes leniently,
    so a typo could leave a short or empty key)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise ValueError(f"a notification secret must be '{SECRET_PREFIX}' + non-empty base64")
    return key


def _origin(url: str) -> str:
    """scheme://host[:port] only: paths and queries may hold tokens."""
    try:
        parts = httpx.URL(url)
    except httpx.InvalidURL:
        return "an invalid URL"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.host}{port}"
