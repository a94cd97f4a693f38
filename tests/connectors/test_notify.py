"""Outbound notices: Standard Webhooks signatures a receiver can check, failures without secrets."""

from __future__ import annotations

import base64
import json
import traceback
from collections.abc import Callable
from datetime import datetime

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from connectors.notify import NoticeFailed, post_notice

KEY = b"notify-test-key-0123456789abcdef"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
# Hook URLs often carry a token of their own; it must stay out of error messages too.
URL = "http://127.0.0.1:9/hooks/T0KEN-in-path?token=T0KEN-in-query"
DATA = {"approval_id": "a-1", "tool": "cancel_pending_order", "args": {"amount": 12.5}}

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), timeout=2)


async def send(handler: Handler, *, kind: str = "approval.raised", msg_id: str = "msg_1") -> None:
    async with client_for(handler) as client:
        await post_notice(client, URL, SECRET, kind=kind, data=DATA, msg_id=msg_id)


@pytest.mark.parametrize("kind", ["approval.raised", "approval.escalated", "event.finished"])
async def test_the_receiver_verifies_the_signature_on_the_raw_body(kind: str) -> None:
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        Webhook(SECRET).verify(request.content, dict(request.headers), json_parse=False)
        return httpx.Response(204)

    await send(receiver, kind=kind, msg_id=f"msg_{kind}")
    (request,) = received
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == f"msg_{kind}"
    body = json.loads(request.content)
    assert set(body) == {"type", "timestamp", "data"}
    assert (body["type"], body["data"]) == (kind, DATA)
    sent_at = datetime.fromisoformat(body["timestamp"])
    assert body["timestamp"].endswith("Z")
    assert int(sent_at.timestamp()) == int(request.headers["webhook-timestamp"])


async def test_a_tampered_body_does_not_verify() -> None:
    def receiver(request: httpx.Request) -> httpx.Response:
        forged = request.content.replace(b"12.5", b"9999")
        with pytest.raises(WebhookVerificationError):
            Webhook(SECRET).verify(forged, dict(request.headers), json_parse=False)
        return httpx.Response(200)

    await send(receiver)


def refuse(request: httpx.Request) -> httpx.Response:
    return httpx.Response(500, text=f"boom: {request.headers['webhook-signature']}")


def redirect(_: httpx.Request) -> httpx.Response:
    return httpx.Response(307, headers={"location": "http://127.0.0.1:9/elsewhere"})


def time_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout(f"timed out reading {request.url}", request=request)


def refuse_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"cannot reach {request.url}", request=request)


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (refuse, "was refused: HTTP 500"),
        (redirect, "was refused: HTTP 307"),
        (time_out, "failed: ReadTimeout"),
        (refuse_connection, "failed: ConnectError"),
    ],
    ids=["500", "redirect", "timeout", "connect"],
)
async def test_failures_raise_notice_failed_without_secrets(
    handler: Handler, expected: str
) -> None:
    with pytest.raises(NoticeFailed) as caught:
        await send(handler, msg_id="msg_fail")
    assert str(caught.value) == f"approval.raised notice msg_fail to http://127.0.0.1:9 {expected}"
    # The whole logged traceback, chained exceptions included (httpx's name the full URL).
    logged = "".join(traceback.format_exception(caught.value))
    for secret in (SECRET, SECRET.removeprefix("whsec_"), "T0KEN"):
        assert secret not in logged


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_not base64!", "whsec_@@@@"])
async def test_a_malformed_secret_is_refused_before_sending(secret: str) -> None:
    def never(_: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent without a usable secret")

    async with client_for(never) as client:
        with pytest.raises(ValueError, match="'whsec_' \\+ non-empty base64") as caught:
            await post_notice(client, URL, secret, kind="event.finished", data={}, msg_id="m")
    if secret.removeprefix("whsec_"):
        assert secret.removeprefix("whsec_") not in str(caught.value)


async def test_a_msg_id_that_would_break_the_header_is_refused() -> None:
    async with client_for(refuse) as client:
        with pytest.raises(ValueError, match="msg_id"):
            await post_notice(client, URL, SECRET, kind="event.finished", data={}, msg_id="a\r\nb")
