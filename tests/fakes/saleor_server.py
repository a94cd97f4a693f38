"""A fake Saleor as a small ASGI app: JWKS, signed deliveries and a validating `/graphql/`.

Every document it receives is parsed and validated against the shipped Saleor 3.24 schema
(`connectors.saleor_documents.load_schema`); an invalid one gets Saleor's answer (HTTP 400,
`errors[].extensions.exception.code == "GraphQLError"`). Valid documents are executed by
graphql-core against the same schema, with resolvers reading and changing a `ShopState`, so a
selection gets exactly the fields it asked for. A request without the app's token gets
`PermissionDenied` on every field.

Use it in-process (`httpx.ASGITransport(app=fake.app())`, base URL `fake.base_url`) or served
on loopback (`serve_fake_saleor()`), for code that runs in other processes.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import uvicorn
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    execute_sync,
    graphql_sync,
    parse,
    validate,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.webhooks.signing import SaleorSigner
from connectors.saleor_documents import load_schema
from tests.fakes.saleor_state import (
    Fulfilment,
    Info,
    Json,
    ShopState,
    field_error,
    global_id,
    permission_denied,
)

START_TIMEOUT_S = 10.0
IN_PROCESS_BASE_URL = "http://127.0.0.1:8765"


class FakeSaleor:
    """One Saleor shop: its signing key, the app token it issued, and its state."""

    def __init__(self, *, base_url: str = IN_PROCESS_BASE_URL, app_token: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.app_token = app_token or secrets.token_urlsafe(24)
        self.app_id = global_id("App", 1)
        self.state = ShopState()
        self.documents: list[str] = []
        self.invalid_documents: list[str] = []
        self._signer = SaleorSigner(kid=secrets.token_urlsafe(6), domain="saleor.test")
        self._lock = threading.Lock()
        self.hold_after: str | None = None
        """A mutation (e.g. `orderFulfill`) whose answer waits until `release()`, once it has
        taken effect: the window in which a client can die between act and record."""
        self._released = threading.Event()
        self.fail_after: str | None = None
        """A mutation whose next answer, once it has taken effect, is a 502 from the proxy in
        front of Saleor: the client cannot tell whether it happened."""

        self.unavailable: set[str] = set()
        """Root fields (e.g. `productVariant`) whose queries get a 503, as an overloaded
        Saleor answers: the shop cannot be read while they are listed."""

    def release(self) -> None:
        self._released.set()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/graphql/"

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/.well-known/jwks.json"

    def jwks(self) -> dict[str, Any]:
        return self._signer.jwks()

    def sign_delivery(self, body: bytes, *, event: str | None = None) -> dict[str, str]:
        """The headers Saleor sends with a webhook body: the detached-JWS `Saleor-Signature`,
        `Saleor-Api-Url` (this shop) and `Saleor-Domain`; `Saleor-Event` when `event` is given."""
        headers = {
            "Content-Type": "application/json",
            "Saleor-Domain": self._signer.domain,
            "Saleor-Api-Url": self.api_url,
            "Saleor-Signature": self._signer.sign(body),
        }
        if event is not None:
            headers["Saleor-Event"] = event
        return headers

    def delivery(self, subscription: str, event: Json) -> bytes:
        """The body Saleor would post for `event` (`{"__typename": "OrderCreated", "order":
        state.order_view(o)}`, ...) to a webhook with this subscription document: the
        document's selection of it, as Saleor sends it. `issuedAt` is now."""
        problems = validate(load_schema(), parse(subscription))
        if problems:
            raise ValueError(f"invalid subscription document: {problems[0].message}")
        issued = datetime.now(UTC).isoformat()
        with self._lock:
            result = execute_sync(
                load_schema(),
                parse(subscription),
                root_value={"event": {"issuedAt": issued, **event}},
                type_resolver=lambda value, _info, _type: value["__typename"],
            )
        if result.errors or not result.data:
            raise ValueError(f"the subscription cannot be answered: {result.errors}")
        return json.dumps(result.data["event"]).encode()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/jwks.json", self._serve_jwks, methods=["GET"]),
                Route("/graphql/", self._serve_graphql, methods=["POST"]),
            ]
        )

    async def _serve_jwks(self, _request: Request) -> JSONResponse:
        return JSONResponse(self.jwks())

    async def _serve_graphql(self, request: Request) -> JSONResponse:
        try:
            payload = json.loads(await request.body())
            query = payload["query"]
            variables = payload.get("variables") or {}
            if not isinstance(query, str) or not isinstance(variables, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return graphql_error("Must provide a query string.", status=400)
        self.documents.append(query)
        try:
            document = parse(query)
        except GraphQLError as exc:
            self.invalid_documents.append(query)
            return graphql_error(exc.message, status=400)
        problems = validate(load_schema(), document)
        if problems:
            self.invalid_documents.append(query)
            return graphql_error(problems[0].message, status=400)
        if root_fields(document) & self.unavailable:
            return JSONResponse({"error": "service unavailable"}, status_code=503)
        authorized = request.headers.get("authorization") == f"Bearer {self.app_token}"
        with self._lock:
            result = graphql_sync(
                load_schema(),
                query,
                root_value=Root(self, authorized=authorized).fields(),
                variable_values=variables,
                type_resolver=lambda value, _info, _type: value["__typename"],
            )
        if self.fail_after and self.state.applied[self.fail_after]:
            self.fail_after = None
            return JSONResponse({"error": "bad gateway"}, status_code=502)
        if self.hold_after and self.state.applied[self.hold_after]:
            self.hold_after = None
            while not self._released.is_set():
                await asyncio.sleep(0.05)
        answer: Json = {"data": result.data}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        return JSONResponse(answer)


def root_fields(document: DocumentNode) -> set[str]:
    """The top-level field names the document's operations select."""
    return {
        selection.name.value
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
        for selection in definition.selection_set.selections
        if isinstance(selection, FieldNode)
    }


def graphql_error(message: str, *, status: int) -> JSONResponse:
    error = {"message": message, "extensions": {"exception": {"code": "GraphQLError"}}}
    return JSONResponse({"errors": [error]}, status_code=status)


class Root:
    """The Query and Mutation fields the fake answers; others resolve to null."""

    def __init__(self, fake: FakeSaleor, *, authorized: bool) -> None:
        self.fake = fake
        self.state = fake.state
        self.authorized = authorized

    def fields(self) -> Json:
        return {
            "app": self.app,
            "order": self.order,
            "product": self.product,
            "productVariant": self.product_variant,
            "orderFulfill": self.order_fulfill,
            "orderCancel": self.order_cancel,
            "productUpdate": self.product_update,
            "updateMetadata": self.update_metadata,
        }

    def _require(self, info: Info, permission: str) -> None:
        self.state.received[info.field_name] += 1
        if not self.authorized:
            raise permission_denied(permission)

    def app(self, info: Info, **_args: Any) -> Json:
        self._require(info, "AUTHENTICATED_APP")
        return {"__typename": "App", "id": self.fake.app_id, "name": "opsgraph"}

    def order(self, info: Info, **args: Any) -> Json | None:
        self._require(info, "MANAGE_ORDERS")
        order = self.state.orders.get(args.get("id") or "")
        return self.state.order_view(order) if order else None

    def product(self, info: Info, **args: Any) -> Json | None:
        self._require(info, "MANAGE_PRODUCTS")
        product = self.state.products.get(args.get("id") or "")
        return self.state.product_view(product) if product else None

    def product_variant(self, info: Info, **args: Any) -> Json | None:
        self._require(info, "MANAGE_PRODUCTS")
        for variant in self.state.variants.values():
            if variant.id == args.get("id") or variant.sku == args.get("sku"):
                return self.state.variant_view(variant)
        return None

    def order_fulfill(self, info: Info, input: Json, order: str | None = None) -> Json:
        self._require(info, "MANAGE_ORDERS")
        found = self.state.orders.get(order or "")
        if found is None:
            return {"errors": [field_error("order", "NOT_FOUND", "Couldn't resolve to an order")]}
        view = self.state.order_view(found)
        if found.status in ("CANCELED", "DRAFT", "UNCONFIRMED"):
            error = field_error("order", "INVALID", "Cannot fulfill this order")
            return {"order": view, "fulfillments": None, "errors": [error]}
        lines = {line.id: line for line in found.lines}
        plan: list[tuple[str, str, int]] = []
        errors: list[Json] = []
        for entry in input["lines"]:
            line = lines.get(entry.get("orderLineId") or "")
            if line is None:
                errors.append(field_error("orderLineId", "NOT_FOUND", "Order line not found"))
                continue
            wanted = sum(int(s["quantity"]) for s in entry["stocks"])
            if wanted > line.quantity - line.fulfilled:
                message = f"Only {line.quantity - line.fulfilled} items left to fulfill"
                errors.append(field_error("orderLineId", "FULFILL_ORDER_LINE", message))
                continue
            variant = self.state.variants[line.variant_id]
            for stock in entry["stocks"]:
                available = variant.stocks.get(stock["warehouse"])
                if available is None or (
                    available < int(stock["quantity"]) and not input.get("allowStockToBeExceeded")
                ):
                    message = f"Insufficient product stock: {variant.sku}"
                    errors.append(field_error("stocks", "INSUFFICIENT_STOCK", message))
                    continue
                plan.append((line.id, stock["warehouse"], int(stock["quantity"])))
        if errors:
            return {"order": view, "fulfillments": None, "errors": errors}
        for line_id, warehouse, quantity in plan:
            line = lines[line_id]
            line.fulfilled += quantity
            variant = self.state.variants[line.variant_id]
            variant.stocks[warehouse] -= quantity
            left = variant.allocated.get(warehouse, 0) - quantity
            variant.allocated[warehouse] = max(left, 0)
        fulfilment = Fulfilment(
            global_id("Fulfillment", len(found.fulfillments) + 1 + 100 * len(self.state.orders)),
            [(line_id, quantity) for line_id, _warehouse, quantity in plan],
            input.get("trackingNumber") or "",
        )
        found.fulfillments.append(fulfilment)
        done = all(line.fulfilled >= line.quantity for line in found.lines)
        found.status = "FULFILLED" if done else "PARTIALLY_FULFILLED"
        self.state.applied["orderFulfill"] += 1
        return {
            "order": self.state.order_view(found),
            "fulfillments": [self.state.fulfilment_view(found, fulfilment)],
            "errors": [],
        }

    def order_cancel(self, info: Info, id: str) -> Json:
        self._require(info, "MANAGE_ORDERS")
        found = self.state.orders.get(id)
        if found is None:
            return {"errors": [field_error("id", "NOT_FOUND", "Couldn't resolve to an order")]}
        shipped = any(f.status == "FULFILLED" for f in found.fulfillments)
        if found.status in ("CANCELED", "DRAFT") or shipped:
            error = field_error("order", "CANNOT_CANCEL_ORDER", "This order can't be canceled.")
            return {"order": self.state.order_view(found), "errors": [error]}
        found.status = "CANCELED"
        for line in found.lines:
            self.state.variants[line.variant_id].allocated.clear()
        self.state.applied["orderCancel"] += 1
        return {"order": self.state.order_view(found), "errors": []}

    def product_update(self, info: Info, input: Json, **args: Any) -> Json:
        self._require(info, "MANAGE_PRODUCTS")
        product = self.state.products.get(args.get("id") or "")
        if product is None:
            return {"errors": [field_error("id", "NOT_FOUND", "Couldn't resolve to a product")]}
        seo = input.get("seo") or {}
        if "title" in seo:
            product.seo_title = seo["title"]
        if "description" in seo:
            product.seo_description = seo["description"]
        if input.get("slug"):
            product.slug = input["slug"]
        if "description" in input:
            product.description = input["description"]
        if input.get("name"):
            product.name = input["name"]
        self.state.applied["productUpdate"] += 1
        return {"product": self.state.product_view(product), "errors": []}

    def update_metadata(self, info: Info, id: str, input: list[Json]) -> Json:
        self._require(info, "MANAGE_ORDERS")
        order, product = self.state.orders.get(id), self.state.products.get(id)
        if order is not None:
            order.metadata.update({item["key"]: item["value"] for item in input})
            view = self.state.order_view(order)
        elif product is not None:
            product.metadata.update({item["key"]: item["value"] for item in input})
            view = self.state.product_view(product)
        else:
            error = field_error("id", "NOT_FOUND", "Couldn't resolve to a node")
            return {"errors": [error], "metadataErrors": [error], "item": None}
        self.state.applied["updateMetadata"] += 1
        return {"item": view, "errors": [], "metadataErrors": []}


@contextmanager
def serve_fake_saleor(fake: FakeSaleor | None = None) -> Iterator[FakeSaleor]:
    """Serve a `FakeSaleor` on 127.0.0.1 at a free port until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    shop = fake or FakeSaleor()
    shop.base_url = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(
        shop.app(), log_config=None, access_log=False, lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fake-saleor", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the fake Saleor stopped during start-up")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the fake Saleor did not start in {START_TIMEOUT_S}s")
            time.sleep(0.01)
        yield shop
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT_S)
        sock.close()
