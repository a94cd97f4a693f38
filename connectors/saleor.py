"""Saleor GraphQL: the mutations opsgraph's tools perform, authenticated with an app token.

Every request carries the ledger's key in `Idempotency-Key`. Saleor itself does not dedupe on
it (a proxy or app in front of it may), so `SaleorUnavailable.maybe_applied` tells the caller
whether a failed call could still have taken effect before it retries.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError
from pydantic.alias_generators import to_camel

log = logging.getLogger(__name__)

USER_AGENT = "opsgraph-saleor/0.1"
DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
_HEADER_SAFE = re.compile(r"[!-~]{1,1024}")
# Top-level error codes (`extensions.exception.code`) that mean "this token may not do that".
AUTH_CODES = frozenset(
    {"PermissionDenied", "InvalidTokenError", "ExpiredSignatureError", "DecodeError"}
)


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class StockAllocation(_Camel):
    """How many units of an order line ship from one warehouse (`OrderFulfillStockInput`)."""

    warehouse: str = Field(min_length=1)
    quantity: PositiveInt


class FulfillmentLine(_Camel):
    """One order line to fulfill (`OrderFulfillLineInput`)."""

    order_line_id: str = Field(min_length=1)
    stocks: list[StockAllocation] = Field(min_length=1)


class SaleorFieldError(_Camel):
    """One entry of a mutation's `errors { field code message }`."""

    field: str | None = None
    code: str
    message: str | None = None


class SaleorError(Exception):
    """Saleor refused the call; `code` is Saleor's (e.g. `INSUFFICIENT_STOCK`)."""

    def __init__(
        self,
        message: str,
        code: str = "GRAPHQL_ERROR",
        field: str | None = None,
        *,
        details: Sequence[SaleorFieldError] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.details = tuple(details)

    def __str__(self) -> str:
        where = f", field={self.field}" if self.field else ""
        return f"{self.message} (code={self.code}{where})"


class SaleorAuthError(SaleorError):
    """The token is missing, invalid, or lacks a permission: a person must fix the app."""


class SaleorUnavailable(SaleorError):
    """Saleor is unreachable, overloaded or failing (timeout, 429, 5xx): retry later.

    `maybe_applied`: the request may have been processed (read timeout, 5xx), so a retry can
    meet "already done" answers such as `CANNOT_CANCEL_ORDER`.
    """

    def __init__(self, message: str, code: str, *, maybe_applied: bool) -> None:
        super().__init__(message, code)
        self.maybe_applied = maybe_applied


class _GraphQLError(_Camel):
    message: str = "GraphQL error"
    extensions: dict[str, Any] | None = None

    @property
    def code(self) -> str:
        extensions = self.extensions or {}
        exception = extensions.get("exception")
        code = exception.get("code") if isinstance(exception, dict) else extensions.get("code")
        return code if isinstance(code, str) and code else "GRAPHQL_ERROR"


class _Envelope(_Camel):
    data: dict[str, Any] | None = None
    errors: list[_GraphQLError] = Field(default_factory=list)


class _Errors(_Camel):
    """The part every mutation payload shares; checked before the result is."""

    errors: list[SaleorFieldError]


class _Node(_Camel):
    id: str
    status: str


class _Fulfillment(_Node):
    tracking_number: str | None = None


class _Invoice(_Node):
    number: str | None = None


class _Cancelled(_Camel):
    order: _Node


class _Fulfilled(_Cancelled):
    fulfillments: list[_Fulfillment]


class _Invoiced(_Cancelled):
    invoice: _Invoice


class _Product(_Camel):
    id: str
    slug: str
    seo_title: str | None = None
    seo_description: str | None = None


class _SeoUpdated(_Camel):
    product: _Product


class _Raw(_Camel):
    """A payload kept as Saleor sent it (for `SaleorClient.mutate`)."""

    model_config = ConfigDict(extra="allow", frozen=True)


ResultT = TypeVar("ResultT", bound=_Camel)

# Select only what the app's own permissions let it read: a denied sub-field nulls the result
# of a mutation that did run, which would look like a failure worth repeating.
_OUT = "order { id status } errors { field code message }"
FULFILL = f"""mutation OpsgraphOrderFulfill($order: ID!, $input: OrderFulfillInput!) {{
  orderFulfill(order: $order, input: $input) {{
    fulfillments {{ id status trackingNumber }} {_OUT}
  }}
}}"""
CANCEL = f"""mutation OpsgraphOrderCancel($id: ID!) {{ orderCancel(id: $id) {{ {_OUT} }} }}"""
INVOICE = f"""mutation OpsgraphInvoiceRequest($orderId: ID!, $number: String) {{
  invoiceRequest(orderId: $orderId, number: $number) {{ invoice {{ id number status }} {_OUT} }}
}}"""
PRODUCT_SEO = """mutation OpsgraphProductSeo($id: ID!, $input: ProductInput!) {
  productUpdate(id: $id, input: $input) {
    product { id slug seoTitle seoDescription } errors { field code message }
  }
}"""


class SaleorClient:
    """An async client for one Saleor API (`https://<shop>/graphql/`) acting as one app."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        url = urlsplit(api_url)
        if url.scheme not in ("http", "https") or not url.hostname or "@" in url.netloc:
            raise ValueError("api_url must look like https://shop/graphql/ (token not in the URL)")
        if not _HEADER_SAFE.fullmatch(token):
            raise ValueError("the Saleor app token must be printable ASCII without spaces")
        self.api_url = api_url
        self._token = token
        headers = {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout, headers=headers)

    def __repr__(self) -> str:
        return f"SaleorClient(api_url={self.api_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def fulfill_order(
        self,
        order_id: str,
        lines: Sequence[FulfillmentLine | Mapping[str, Any]],
        *,
        notify_customer: bool,
        idempotency_key: str,
        tracking_number: str | None = None,
    ) -> dict[str, Any]:
        """Ship `lines`; return `{"order": {id, status}, "fulfillments": [{id, status, ...}]}`."""
        parsed = [FulfillmentLine.model_validate(line) for line in lines]
        if not parsed:
            raise ValueError("fulfill_order needs at least one line")
        fulfill: dict[str, Any] = {
            "lines": [line.model_dump(by_alias=True) for line in parsed],
            "notifyCustomer": notify_customer,
        }
        if tracking_number is not None:
            fulfill["trackingNumber"] = tracking_number
        variables = {"order": order_id, "input": fulfill}
        return await self._mutate("orderFulfill", FULFILL, variables, idempotency_key, _Fulfilled)

    async def cancel_order(self, order_id: str, *, idempotency_key: str) -> dict[str, Any]:
        """Cancel an order; return `{"order": {id, status}}`."""
        variables = {"id": order_id}
        return await self._mutate("orderCancel", CANCEL, variables, idempotency_key, _Cancelled)

    async def request_invoice(
        self, order_id: str, *, number: str | None = None, idempotency_key: str
    ) -> dict[str, Any]:
        """Ask Saleor's invoicing plugin for an invoice (numbered by Saleor when `number` is None).

        Returns `{"invoice": {id, number, status}, "order": {id, status}}`.
        """
        variables = {"orderId": order_id, "number": number}
        return await self._mutate("invoiceRequest", INVOICE, variables, idempotency_key, _Invoiced)

    async def update_product_seo(
        self,
        product_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        slug: str | None = None,
        idempotency_key: str,
    ) -> dict[str, Any]:
        """Set a product's SEO title, description and slug; a None field stays as it is.

        Returns `{"product": {id, slug, seo_title, seo_description}}`.
        """
        product: dict[str, Any] = {}
        seo = {k: v for k, v in (("title", title), ("description", description)) if v is not None}
        if seo:
            product["seo"] = seo
        if slug is not None:
            product["slug"] = slug
        if not product:
            raise ValueError("update_product_seo needs a title, a description or a slug")
        variables = {"id": product_id, "input": product}
        return await self._mutate(
            "productUpdate", PRODUCT_SEO, variables, idempotency_key, _SeoUpdated
        )

    async def _mutate(
        self,
        field: str,
        document: str,
        variables: dict[str, Any],
        idempotency_key: str,
        result: type[ResultT],
    ) -> dict[str, Any]:
        """Post one mutation and return its result, or raise the matching `SaleorError`."""
        if not _HEADER_SAFE.fullmatch(idempotency_key):
            raise ValueError("idempotency_key must be printable ASCII without spaces")
        response = await self._post(
            field, document, variables, {"Idempotency-Key": idempotency_key}
        )
        try:
            return self._result(field, response, result).model_dump()
        except SaleorError as exc:
            log.warning("saleor %s failed (key %s): %s", field, idempotency_key, exc.code)
            raise

    async def read(
        self, field: str, document: str, variables: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Run a query and return its top-level `field` as Saleor answered it (camelCase);
        None when Saleor has no such object. Raises the matching `SaleorError`."""
        response = await self._post(field, document, variables, {})
        raw = self._data(field, response)
        return raw if isinstance(raw, dict) else None

    async def mutate(
        self, field: str, document: str, variables: dict[str, Any], *, idempotency_key: str
    ) -> dict[str, Any]:
        """Run a mutation and return its payload as Saleor answered it (camelCase), or raise
        `SaleorError` with the first of its `errors { field code message }`."""
        return await self._mutate(field, document, variables, idempotency_key, _Raw)

    async def _post(
        self, field: str, document: str, variables: dict[str, Any], headers: dict[str, str]
    ) -> httpx.Response:
        try:
            return await self._http.post(
                self.api_url, json={"query": document, "variables": variables}, headers=headers
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            message = f"{field}: cannot reach Saleor ({type(exc).__name__})"
            raise SaleorUnavailable(message, "UNREACHABLE", maybe_applied=False) from None
        except httpx.TransportError as exc:  # timeouts and broken connections after sending
            code = "TIMEOUT" if isinstance(exc, httpx.TimeoutException) else "TRANSPORT_ERROR"
            message = f"{field}: no answer from Saleor ({type(exc).__name__})"
            raise SaleorUnavailable(message, code, maybe_applied=True) from None

    def _data(self, field: str, response: httpx.Response) -> Any:
        """The answer's `data[field]`, after HTTP status and top-level errors are judged."""
        status = response.status_code
        if status in (401, 403):
            message = f"{field}: Saleor refused the app token (HTTP {status}); check the token"
            raise SaleorAuthError(message + " and the app's permissions", f"HTTP_{status}")
        if status == 429 or status >= 500:
            message = f"{field}: Saleor answered HTTP {status}; retry later"
            raise SaleorUnavailable(message, f"HTTP_{status}", maybe_applied=status != 429)
        try:
            envelope = _Envelope.model_validate_json(response.content)
        except ValidationError:
            code = "INVALID_RESPONSE" if response.is_success else f"HTTP_{status}"
            raise SaleorError(f"{field}: Saleor answered HTTP {status} oddly", code) from None
        raw = (envelope.data or {}).get(field)
        if raw is None and envelope.errors:
            first = envelope.errors[0]
            kind = SaleorAuthError if first.code in AUTH_CODES else SaleorError
            raise kind(f"{field}: {self._redact(first.message)}", first.code)
        if envelope.errors:  # the operation ran; only some selected sub-field failed
            log.warning("saleor %s ran with partial errors: %s", field, envelope.errors[0].code)
        return raw

    def _result(self, field: str, response: httpx.Response, result: type[ResultT]) -> ResultT:
        raw = self._data(field, response)
        try:
            errors = _Errors.model_validate(raw).errors
            if not errors:
                return result.model_validate(raw)
        except ValidationError:
            message = f"{field}: Saleor's answer has an unexpected shape"
            raise SaleorError(message, "INVALID_RESPONSE") from None
        error, more = errors[0], len(errors) - 1
        text = self._redact(error.message or error.code) + (f" (+{more} more)" if more else "")
        raise SaleorError(f"{field}: {text}", error.code, error.field, details=errors)

    def _redact(self, text: str) -> str:
        """Saleor does not echo the token in messages, but a proxy in front of it might."""
        return text.replace(self._token, "***")
