"""The tenant's Saleor shop as the commerce backend (opsgraph installed as a Saleor App).

Saleor has no idempotency keys, and a crash can come between Saleor's answer and the ledger's
commit, so every change is preceded by a read of whether it already happened: the order's
lines are all fulfilled (what is left is fulfilled, with the tracking number the key
derives), the order is `CANCELED`, the product's SEO or description already reads as
wanted, the note's metadata key already holds the value. A repeat then answers from Saleor's
state instead of acting twice. Stock is Saleor's: it allocates an order's units when the
order is placed, so reserving reads the warehouses and holds nothing itself.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from connectors.commerce.backend import Result, StockLevel
from connectors.commerce.saleor_queries import (
    ORDER,
    ORDER_NOTE,
    PRODUCT,
    PRODUCT_DESCRIPTION,
    VARIANT_STOCK,
    WRITE_NOTE,
)
from connectors.orders import get_order, tracking_id
from connectors.saleor import (
    FulfillmentLine,
    SaleorClient,
    SaleorError,
    SaleorUnavailable,
    StockAllocation,
)
from connectors.shipments import record_shipment
from runtime.saleor_links import SaleorLink

CONTENT_KINDS = ("product_seo", "product_page")


class SaleorBackend:
    """Acts on one shop through its GraphQL API with the app token the shop issued."""

    name = "saleor"

    def __init__(
        self,
        link: SaleorLink,
        conn: AsyncConnection[DictRow],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.link = link
        self.conn = conn
        self.tenant_id = link.tenant_id
        self._transport = transport

    def __repr__(self) -> str:
        return f"SaleorBackend(tenant_id={self.tenant_id!r}, api_url={self.link.api_url!r})"

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[SaleorClient]:
        client = SaleorClient(self.link.api_url, self.link.app_token, transport=self._transport)
        async with client:
            yield client

    async def _order(self, client: SaleorClient, order_id: str) -> dict[str, Any] | None:
        return await client.read("order", ORDER, {"id": order_id})

    async def reserve_stock(self, order_id: str) -> Result:
        async with self._client() as client:
            order = await self._order(client, order_id)
        if order is None:
            return "Error: order not found"
        needed: dict[str, int] = {}
        on_hand: dict[str, int] = {}
        unknown: list[str] = []
        for line, left in unfulfilled(order):
            sku = line_sku(line)
            needed[sku] = needed.get(sku, 0) + left
            stocks = (line.get("variant") or {}).get("stocks") or []
            if not stocks:
                unknown.append(sku)
            on_hand[sku] = sum(int(stock["quantity"]) for stock in stocks)
        short = {sku: n - on_hand[sku] for sku, n in needed.items() if on_hand[sku] < n}
        unknown = sorted(set(unknown))
        if short or unknown:
            return {
                "order_id": order_id,
                "reserved": False,
                "short": {sku: n for sku, n in short.items() if sku not in unknown},
                "available": {sku: max(on_hand[sku], 0) for sku in short if sku not in unknown},
                "unknown": unknown,
            }
        return {"order_id": order_id, "reserved": True, "items": needed, "held_by": "saleor"}

    async def stock_levels(self, item_ids: list[str]) -> dict[str, StockLevel]:
        """On hand across the shop's warehouses per SKU, the figure `reserve_stock` measures
        an order against (Saleor's allocations include the order being planned for). A SKU
        with no variant, or a variant no warehouse stocks, is absent: unknown, not zero. An
        unreachable shop raises `SaleorUnavailable` (the run is retried); a refusal raises
        the `SaleorError`: nothing is decided on stock that could not be read."""
        levels: dict[str, StockLevel] = {}
        async with self._client() as client:
            for sku in dict.fromkeys(item_ids):
                if not sku:
                    continue
                variant = await client.read("productVariant", VARIANT_STOCK, {"sku": sku})
                if variant is None or not variant.get("stocks"):
                    continue
                prices = [
                    float(listing["price"]["amount"])
                    for listing in variant.get("channelListings") or []
                    if listing.get("price")
                ]
                levels[sku] = StockLevel(
                    item_id=sku,
                    product_id=str((variant.get("product") or {}).get("id") or variant["id"]),
                    available=sum(int(stock["quantity"]) for stock in variant["stocks"]),
                    price=max(prices) if prices else None,
                )
        return levels

    async def release_stock(self, order_id: str) -> dict[str, Any]:
        """Saleor releases an order's allocations itself when the order is cancelled."""
        return {"order_id": order_id, "released": {}, "held_by": "saleor"}

    async def fulfill_order(self, order_id: str, *, idempotency_key: str) -> Result:
        tracking = tracking_id(idempotency_key)
        async with self._client() as client:
            order = await self._order(client, order_id)
            if order is None:
                return "Error: order not found"
            if order["status"] in ("CANCELED", "DRAFT", "UNCONFIRMED", "EXPIRED"):
                return f"Error: order is {order['status'].lower()} in Saleor, not fulfillable"
            left = unfulfilled(order)
            already = not left
            if left:
                lines = [allocation(line, count) for line, count in left]
                if any(line is None for line in lines):
                    return "Error: an order line has no variant stocked in any warehouse"
                try:
                    await client.fulfill_order(
                        order_id,
                        [line for line in lines if line is not None],
                        notify_customer=False,
                        tracking_number=tracking,
                        idempotency_key=idempotency_key,
                    )
                except SaleorUnavailable:
                    raise
                except SaleorError as exc:
                    return f"Error: Saleor refused the fulfilment: {exc}"
                order = await self._order(client, order_id) or order
        numbers = [f["trackingNumber"] for f in order["fulfillments"] if f["trackingNumber"]]
        await self._mirror_shipment(order_id, numbers)
        return {
            "order_id": order_id,
            "status": "processed",
            "tracking_id": numbers or [tracking],
            "item_ids": [line_sku(line) for line in order["lines"]],
            "shipped": {line_sku(line): count for line, count in left},
            "saleor_status": order["status"],
            "fulfillment_ids": [f["id"] for f in order["fulfillments"]],
            "already": already,
        }

    async def _mirror_shipment(self, order_id: str, numbers: list[str]) -> None:
        """Keep the tracking numbers on the store's copy of the order (confirmations and
        status reads use it) until Saleor's own fulfilment webhook arrives."""
        if numbers and await get_order(self.conn, tenant_id=self.tenant_id, order_id=order_id):
            await record_shipment(
                self.conn, tenant_id=self.tenant_id, order_id=order_id, tracking=numbers
            )

    async def cancel_order(self, order_id: str, *, reason: str, idempotency_key: str) -> Result:
        async with self._client() as client:
            order = await self._order(client, order_id)
            if order is None:
                return "Error: order not found"
            already = order["status"] == "CANCELED"
            if not already:
                try:
                    await client.cancel_order(order_id, idempotency_key=idempotency_key)
                except SaleorUnavailable:
                    raise
                except SaleorError as exc:
                    return f"Error: Saleor refused the cancellation: {exc}"
        return {
            "order_id": order_id,
            "status": "cancelled",
            "refunds": [],
            "reason": reason,
            "saleor_status": "CANCELED",
            "already": already,
        }

    def content_target(self, kind: str, subject: str) -> str | None:
        if kind in CONTENT_KINDS and subject.startswith("product:"):
            return f"saleor {subject}"
        return None

    async def apply_content(
        self, kind: str, subject: str, body: dict[str, Any], *, idempotency_key: str
    ) -> Result | None:
        if self.content_target(kind, subject) is None:
            return None
        product_id = subject.split(":", 1)[1]
        async with self._client() as client:
            product = await client.read("product", PRODUCT, {"id": product_id})
            if product is None:
                return f"Error: product {product_id} not found in Saleor"
            try:
                if kind == "product_seo":
                    return await write_seo(client, product, body, idempotency_key)
                return await write_description(client, product, body, idempotency_key)
            except SaleorUnavailable:
                raise
            except SaleorError as exc:
                return f"Error: Saleor refused the product update: {exc}"

    async def write_note(
        self, order_id: str, *, key: str, value: str, idempotency_key: str
    ) -> Result:
        async with self._client() as client:
            order = await client.read("order", ORDER_NOTE, {"id": order_id, "key": key})
            if order is None:
                return "Error: order not found"
            already = order.get("metafield") == value
            if not already:
                try:
                    await client.mutate(
                        "updateMetadata",
                        WRITE_NOTE,
                        {"id": order_id, "input": [{"key": key, "value": value}]},
                        idempotency_key=idempotency_key,
                    )
                except SaleorUnavailable:
                    raise
                except SaleorError as exc:
                    return f"Error: Saleor refused the note: {exc}"
        return {"order_id": order_id, "key": key, "value": value, "already": already}


def unfulfilled(order: dict[str, Any]) -> list[tuple[dict[str, Any], int]]:
    """The order's lines with units left to ship, and how many."""
    lines = [
        (line, int(line["quantity"]) - int(line["quantityFulfilled"])) for line in order["lines"]
    ]
    return [(line, left) for line, left in lines if left > 0]


def line_sku(line: dict[str, Any]) -> str:
    variant = line.get("variant") or {}
    return str(variant.get("sku") or line.get("productSku") or variant.get("id") or line["id"])


def allocation(line: dict[str, Any], count: int) -> FulfillmentLine | None:
    """Ship `count` units of the line from the warehouses holding most of its variant."""
    stocks = sorted(
        (line.get("variant") or {}).get("stocks") or [],
        key=lambda stock: -int(stock["quantity"]),
    )
    if not stocks:
        return None
    parts: list[StockAllocation] = []
    left = count
    for stock in stocks:
        take = min(left, int(stock["quantity"]))
        if take > 0:
            parts.append(StockAllocation(warehouse=stock["warehouse"]["id"], quantity=take))
            left -= take
    if left > 0:  # short everywhere: ask anyway, Saleor answers INSUFFICIENT_STOCK
        first = stocks[0]["warehouse"]["id"]
        parts = [StockAllocation(warehouse=first, quantity=count)]
    return FulfillmentLine(order_line_id=line["id"], stocks=parts)


async def write_seo(
    client: SaleorClient, product: dict[str, Any], body: dict[str, Any], key: str
) -> Result:
    title, description = str(body.get("seo_title") or ""), str(body.get("meta_description") or "")
    already = product.get("seoTitle") == title and product.get("seoDescription") == description
    if not already:
        await client.update_product_seo(
            product["id"], title=title or None, description=description or None, idempotency_key=key
        )
    return {
        "product_id": product["id"],
        "seo_title": title,
        "seo_description": description,
        "already": already,
    }


def editorjs(body: dict[str, Any]) -> str:
    """A drafted page as Saleor's rich-text description (EditorJS blocks)."""
    blocks: list[dict[str, Any]] = []
    if body.get("intro"):
        blocks.append({"type": "paragraph", "data": {"text": str(body["intro"])}})
    for section in body.get("sections") or []:
        blocks.append({"type": "header", "data": {"text": str(section["heading"]), "level": 2}})
        blocks.append({"type": "paragraph", "data": {"text": str(section["text"])}})
    return json.dumps({"blocks": blocks})


def blocks_of(description: Any) -> Any:
    try:
        parsed = json.loads(description) if isinstance(description, str) else description
    except ValueError:
        return None
    return parsed.get("blocks") if isinstance(parsed, dict) else None


async def write_description(
    client: SaleorClient, product: dict[str, Any], body: dict[str, Any], key: str
) -> Result:
    wanted = editorjs(body)
    already = blocks_of(product.get("description")) == json.loads(wanted)["blocks"]
    if not already:
        await client.mutate(
            "productUpdate",
            PRODUCT_DESCRIPTION,
            {"id": product["id"], "input": {"description": wanted}},
            idempotency_key=key,
        )
    return {
        "product_id": product["id"],
        "description_blocks": len(json.loads(wanted)["blocks"]),
        "already": already,
    }
