"""The Saleor connector against a fake Saleor GraphQL endpoint behind `httpx.MockTransport`."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from connectors.saleor import (
    FulfillmentLine,
    SaleorAuthError,
    SaleorClient,
    SaleorError,
    SaleorUnavailable,
    StockAllocation,
)

API_URL = "https://shop.example.com/graphql/"
TOKEN = "sal-app-CANARY-7f3b9c2e41"
KEY = "event:7a1c/call_fulfill_1"
ORDER = "T3JkZXI6ZjNhNmE2YzQ="
LINE = "T3JkZXJMaW5lOjE="
WAREHOUSE = "V2FyZWhvdXNlOjE="
PRODUCT = "UHJvZHVjdDo3Mg=="
NO_ERRORS: list[dict[str, Any]] = []

Reply = httpx.Response | Exception


@dataclass
class FakeSaleor:
    """Answers each mutation as Saleor does; records what it was sent."""

    replies: dict[str, Reply] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(request)
        self.bodies.append(body)
        assert request.method == "POST"
        assert str(request.url) == API_URL
        query = body["query"]
        assert query.lstrip().startswith("mutation ")
        name = next(m for m in self.replies if f"{m}(" in query)
        reply = self.replies[name]
        if isinstance(reply, Exception):
            raise reply
        return reply


def data(field_name: str, payload: dict[str, Any] | None) -> httpx.Response:
    return httpx.Response(200, json={"data": {field_name: payload}})


def top_level(field_name: str, message: str, code: str, status: int = 200) -> httpx.Response:
    error = {
        "message": message,
        "locations": [{"line": 2, "column": 3}],
        "path": [field_name],
        "extensions": {"exception": {"code": code}},
    }
    return httpx.Response(status, json={"data": {field_name: None}, "errors": [error]})


def mutation_errors(field_name: str, *errors: dict[str, Any]) -> httpx.Response:
    nulls = {"orderFulfill": ("order", "fulfillments"), "invoiceRequest": ("order", "invoice")}
    payload: dict[str, Any] = dict.fromkeys(nulls.get(field_name, ()), None)
    payload["errors"] = list(errors)
    return data(field_name, payload)


@pytest.fixture
def saleor() -> FakeSaleor:
    return FakeSaleor()


@pytest.fixture
async def client(saleor: FakeSaleor) -> AsyncIterator[SaleorClient]:
    async with SaleorClient(API_URL, TOKEN, transport=httpx.MockTransport(saleor)) as c:
        yield c


def assert_headers(request: httpx.Request, key: str) -> None:
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["idempotency-key"] == key
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("opsgraph-saleor/")


async def test_fulfill_order_sends_lines_and_returns_the_fulfillments(
    client: SaleorClient, saleor: FakeSaleor
) -> None:
    saleor.replies["orderFulfill"] = data(
        "orderFulfill",
        {
            "fulfillments": [
                {"id": "RnVsZmlsbG1lbnQ6MQ==", "status": "FULFILLED", "trackingNumber": ""}
            ],
            "order": {"id": ORDER, "status": "FULFILLED"},
            "errors": NO_ERRORS,
        },
    )
    line = FulfillmentLine(
        order_line_id=LINE, stocks=[StockAllocation(warehouse=WAREHOUSE, quantity=2)]
    )

    result = await client.fulfill_order(ORDER, [line], notify_customer=True, idempotency_key=KEY)

    assert result == {
        "order": {"id": ORDER, "status": "FULFILLED"},
        "fulfillments": [
            {"id": "RnVsZmlsbG1lbnQ6MQ==", "status": "FULFILLED", "tracking_number": ""}
        ],
    }
    (body,) = saleor.bodies
    assert "orderFulfill(order: $order, input: $input)" in body["query"]
    assert "errors { field code message }" in body["query"]
    assert body["variables"] == {
        "order": ORDER,
        "input": {
            "lines": [{"orderLineId": LINE, "stocks": [{"warehouse": WAREHOUSE, "quantity": 2}]}],
            "notifyCustomer": True,
        },
    }
    assert_headers(saleor.requests[0], KEY)


async def test_fulfill_order_takes_plain_lines_and_a_tracking_number(
    client: SaleorClient, saleor: FakeSaleor
) -> None:
    saleor.replies["orderFulfill"] = data(
        "orderFulfill",
        {
            "fulfillments": [{"id": "F1", "status": "FULFILLED", "trackingNumber": "1Z999"}],
            "order": {"id": ORDER, "status": "PARTIALLY_FULFILLED"},
            "errors": NO_ERRORS,
        },
    )
    lines = [{"orderLineId": LINE, "stocks": [{"warehouse": WAREHOUSE, "quantity": 1}]}]

    result = await client.fulfill_order(
        ORDER, lines, notify_customer=False, idempotency_key=KEY, tracking_number="1Z999"
    )

    assert result["fulfillments"][0]["tracking_number"] == "1Z999"
    assert saleor.bodies[0]["variables"]["input"] == {
        "lines": lines,
        "notifyCustomer": False,
        "trackingNumber": "1Z999",
    }


async def test_cancel_order(client: SaleorClient, saleor: FakeSaleor) -> None:
    saleor.replies["orderCancel"] = data(
        "orderCancel", {"order": {"id": ORDER, "status": "CANCELED"}, "errors": NO_ERRORS}
    )

    result = await client.cancel_order(ORDER, idempotency_key="event:1/call_cancel")

    assert result == {"order": {"id": ORDER, "status": "CANCELED"}}
    (body,) = saleor.bodies
    assert "orderCancel(id: $id)" in body["query"]
    assert body["variables"] == {"id": ORDER}
    assert_headers(saleor.requests[0], "event:1/call_cancel")


@pytest.mark.parametrize("number", ["INV-2024-0042", None])
async def test_request_invoice(
    client: SaleorClient, saleor: FakeSaleor, number: str | None
) -> None:
    saleor.replies["invoiceRequest"] = data(
        "invoiceRequest",
        {
            "invoice": {"id": "SW52b2ljZTox", "number": number, "status": "PENDING"},
            "order": {"id": ORDER, "status": "UNFULFILLED"},
            "errors": NO_ERRORS,
        },
    )

    result = await client.request_invoice(ORDER, number=number, idempotency_key="k/invoice")

    assert result == {
        "invoice": {"id": "SW52b2ljZTox", "number": number, "status": "PENDING"},
        "order": {"id": ORDER, "status": "UNFULFILLED"},
    }
    (body,) = saleor.bodies
    assert "invoiceRequest(orderId: $orderId, number: $number)" in body["query"]
    assert body["variables"] == {"orderId": ORDER, "number": number}
    assert_headers(saleor.requests[0], "k/invoice")


async def test_update_product_seo(client: SaleorClient, saleor: FakeSaleor) -> None:
    product = {
        "id": PRODUCT,
        "slug": "linen-shirt",
        "seoTitle": "Linen shirt",
        "seoDescription": "Breathable linen.",
    }
    saleor.replies["productUpdate"] = data(
        "productUpdate", {"product": product, "errors": NO_ERRORS}
    )

    result = await client.update_product_seo(
        PRODUCT,
        title="Linen shirt",
        description="Breathable linen.",
        slug="linen-shirt",
        idempotency_key="k/seo",
    )

    assert result == {
        "product": {
            "id": PRODUCT,
            "slug": "linen-shirt",
            "seo_title": "Linen shirt",
            "seo_description": "Breathable linen.",
        }
    }
    (body,) = saleor.bodies
    assert "productUpdate(id: $id, input: $input)" in body["query"]
    assert body["variables"] == {
        "id": PRODUCT,
        "input": {
            "seo": {"title": "Linen shirt", "description": "Breathable linen."},
            "slug": "linen-shirt",
        },
    }
    assert_headers(saleor.requests[0], "k/seo")


async def test_update_product_seo_leaves_out_what_is_not_given(
    client: SaleorClient, saleor: FakeSaleor
) -> None:
    product = {"id": PRODUCT, "slug": "new-slug", "seoTitle": None, "seoDescription": None}
    saleor.replies["productUpdate"] = data(
        "productUpdate", {"product": product, "errors": NO_ERRORS}
    )

    await client.update_product_seo(PRODUCT, slug="new-slug", idempotency_key="k/slug")

    assert saleor.bodies[0]["variables"] == {"id": PRODUCT, "input": {"slug": "new-slug"}}


Call = Callable[[SaleorClient], Awaitable[dict[str, Any]]]
CALLS: dict[str, Call] = {
    "orderFulfill": lambda c: c.fulfill_order(
        ORDER,
        [{"orderLineId": LINE, "stocks": [{"warehouse": WAREHOUSE, "quantity": 1}]}],
        notify_customer=True,
        idempotency_key=KEY,
    ),
    "orderCancel": lambda c: c.cancel_order(ORDER, idempotency_key=KEY),
    "invoiceRequest": lambda c: c.request_invoice(ORDER, number=None, idempotency_key=KEY),
    "productUpdate": lambda c: c.update_product_seo(PRODUCT, title="T", idempotency_key=KEY),
}
each_call = pytest.mark.parametrize("mutation", list(CALLS))


async def fail(
    client: SaleorClient, saleor: FakeSaleor, mutation: str, reply: Reply, kind: type[SaleorError]
) -> SaleorError:
    saleor.replies[mutation] = reply
    with pytest.raises(kind) as raised:
        await CALLS[mutation](client)
    error = raised.value
    assert TOKEN not in str(error)
    assert TOKEN not in repr(error)
    return error


@each_call
async def test_mutation_errors_raise_saleor_error_with_code_and_field(
    client: SaleorClient, saleor: FakeSaleor, mutation: str
) -> None:
    first = {"field": "lines", "code": "INSUFFICIENT_STOCK", "message": "Insufficient stock"}
    second = {"field": None, "code": "INVALID", "message": "Second problem"}
    reply = mutation_errors(mutation, first, second)

    error = await fail(client, saleor, mutation, reply, SaleorError)

    assert type(error) is SaleorError
    assert (error.code, error.field) == ("INSUFFICIENT_STOCK", "lines")
    assert error.message == f"{mutation}: Insufficient stock (+1 more)"
    assert [d.code for d in error.details] == ["INSUFFICIENT_STOCK", "INVALID"]
    assert "INSUFFICIENT_STOCK" in str(error)


async def test_a_cancel_refusal_keeps_saleors_code(
    client: SaleorClient, saleor: FakeSaleor
) -> None:
    reply = mutation_errors(
        "orderCancel",
        {"field": None, "code": "CANNOT_CANCEL_ORDER", "message": "This order can't be canceled."},
    )

    error = await fail(client, saleor, "orderCancel", reply, SaleorError)

    assert error.code == "CANNOT_CANCEL_ORDER"
    assert error.field is None


@each_call
async def test_top_level_errors_raise_saleor_error(
    client: SaleorClient, saleor: FakeSaleor, mutation: str
) -> None:
    reply = top_level(mutation, "Couldn't resolve id: nope.", "GraphQLError")

    error = await fail(client, saleor, mutation, reply, SaleorError)

    assert type(error) is SaleorError
    assert error.code == "GraphQLError"
    assert "Couldn't resolve id" in error.message


async def test_an_invalid_query_answered_with_400_is_a_saleor_error(
    client: SaleorClient, saleor: FakeSaleor
) -> None:
    body = {"errors": [{"message": 'Unknown argument "foo"', "extensions": {"exception": {}}}]}
    reply = httpx.Response(400, json=body)

    error = await fail(client, saleor, "orderCancel", reply, SaleorError)

    assert type(error) is SaleorError
    assert error.code == "GRAPHQL_ERROR"


@each_call
async def test_permission_denied_is_an_auth_error(
    client: SaleorClient, saleor: FakeSaleor, mutation: str
) -> None:
    message = "You need one of the following permissions: MANAGE_ORDERS"
    reply = top_level(mutation, message, "PermissionDenied")

    error = await fail(client, saleor, mutation, reply, SaleorAuthError)

    assert error.code == "PermissionDenied"


@each_call
@pytest.mark.parametrize("status", [401, 403])
async def test_http_401_and_403_are_auth_errors(
    client: SaleorClient, saleor: FakeSaleor, mutation: str, status: int
) -> None:
    reply = httpx.Response(status, json={"detail": f"bad token {TOKEN}"})

    error = await fail(client, saleor, mutation, reply, SaleorAuthError)

    assert error.code == f"HTTP_{status}"


@each_call
@pytest.mark.parametrize(("status", "maybe_applied"), [(502, True), (503, True), (429, False)])
async def test_5xx_and_429_are_unavailable(
    client: SaleorClient, saleor: FakeSaleor, mutation: str, status: int, maybe_applied: bool
) -> None:
    reply = httpx.Response(status, text="<html>Bad Gateway</html>")

    error = await fail(client, saleor, mutation, reply, SaleorUnavailable)

    assert error.code == f"HTTP_{status}"
    assert isinstance(error, SaleorUnavailable)
    assert error.maybe_applied is maybe_applied


@each_call
@pytest.mark.parametrize(
    ("exc", "code", "maybe_applied"),
    [
        (httpx.ReadTimeout("timed out"), "TIMEOUT", True),
        (httpx.RemoteProtocolError("peer closed"), "TRANSPORT_ERROR", True),
        (httpx.ConnectError("connection refused"), "UNREACHABLE", False),
        (httpx.ConnectTimeout("timed out"), "UNREACHABLE", False),
    ],
)
async def test_transport_failures_are_unavailable(
    client: SaleorClient,
    saleor: FakeSaleor,
    mutation: str,
    exc: Exception,
    code: str,
    maybe_applied: bool,
) -> None:
    error = await fail(client, saleor, mutation, exc, SaleorUnavailable)

    assert isinstance(error, SaleorUnavailable)
    assert (error.code, error.maybe_applied) == (code, maybe_applied)


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json={"data": {"orderCancel": None}}),
        httpx.Response(200, json={"data": {"orderCancel": {"order": None, "errors": []}}}),
        httpx.Response(200, json={"data": {"orderCancel": {"order": {"id": 1}}}}),
    ],
)
async def test_an_unexpected_answer_is_an_invalid_response(
    client: SaleorClient, saleor: FakeSaleor, reply: httpx.Response
) -> None:
    error = await fail(client, saleor, "orderCancel", reply, SaleorError)

    assert error.code == "INVALID_RESPONSE"


async def test_a_sub_field_error_does_not_hide_a_mutation_that_ran(
    client: SaleorClient, saleor: FakeSaleor
) -> None:
    payload = {"order": {"id": ORDER, "status": "CANCELED"}, "errors": NO_ERRORS}
    error = {"message": "denied", "path": ["orderCancel", "order", "user"]}
    saleor.replies["orderCancel"] = httpx.Response(
        200, json={"data": {"orderCancel": payload}, "errors": [error]}
    )

    result = await client.cancel_order(ORDER, idempotency_key=KEY)

    assert result == {"order": {"id": ORDER, "status": "CANCELED"}}


async def test_the_token_is_masked_if_an_answer_echoes_it(
    client: SaleorClient, saleor: FakeSaleor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reply = top_level("orderCancel", f"Invalid token {TOKEN}", "InvalidTokenError")

    error = await fail(client, saleor, "orderCancel", reply, SaleorAuthError)

    assert "Invalid token ***" in str(error)
    assert TOKEN not in caplog.text


async def test_the_token_stays_out_of_the_client_repr(client: SaleorClient) -> None:
    assert TOKEN not in repr(client)
    assert TOKEN not in str(client)
    assert repr(client) == f"SaleorClient(api_url={API_URL!r})"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.cancel_order(ORDER, idempotency_key=""),
        lambda c: c.cancel_order(ORDER, idempotency_key="has space"),
        lambda c: c.fulfill_order(ORDER, [], notify_customer=True, idempotency_key=KEY),
        lambda c: c.fulfill_order(
            ORDER,
            [{"orderLineId": LINE, "stocks": [{"warehouse": WAREHOUSE, "quantity": 0}]}],
            notify_customer=True,
            idempotency_key=KEY,
        ),
        lambda c: c.update_product_seo(PRODUCT, idempotency_key=KEY),
    ],
)
async def test_bad_arguments_are_refused_before_anything_is_sent(
    client: SaleorClient, saleor: FakeSaleor, call: Call
) -> None:
    with pytest.raises(ValueError):
        await call(client)
    assert saleor.requests == []


@pytest.mark.parametrize(
    ("url", "token"),
    [
        ("ftp://shop.example.com/graphql/", TOKEN),
        ("https://user:pw@shop.example.com/graphql/", TOKEN),
        ("/graphql/", TOKEN),
        (API_URL, ""),
        (API_URL, f"{TOKEN}\r\nX-Evil: 1"),
    ],
)
async def test_bad_construction_is_refused_without_echoing_the_token(url: str, token: str) -> None:
    with pytest.raises(ValueError) as raised:
        SaleorClient(url, token)
    assert TOKEN not in str(raised.value)


async def test_a_closed_client_sends_nothing(saleor: FakeSaleor) -> None:
    client = SaleorClient(API_URL, TOKEN, transport=httpx.MockTransport(saleor))
    await client.aclose()

    with pytest.raises(RuntimeError):
        await client.cancel_order(ORDER, idempotency_key=KEY)
    assert saleor.requests == []
