"""A fake Saleor shop's state and the GraphQL root that answers from it, as Saleor does.

The shapes follow Saleor 3.24: global ids are base64 of `Type:pk`, mutations answer
`errors { field code message }` with Saleor's codes (`NOT_FOUND`, `INSUFFICIENT_STOCK`,
`FULFILL_ORDER_LINE`, `CANNOT_CANCEL_ORDER`), and a field the token may not use raises
`PermissionDenied`. `applied` counts effects that changed the state, so tests can assert
"exactly once"; `received` counts every operation by field name.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

Json = dict[str, Any]
CREATED = "2026-01-05T10:00:00+00:00"
Info = GraphQLResolveInfo[Any]


def global_id(kind: str, pk: object) -> str:
    """Saleor's global id: base64 of `Kind:pk`."""
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


def permission_denied(permission: str) -> GraphQLError:
    return GraphQLError(
        f"You need one of the following permissions: {permission}",
        extensions={"exception": {"code": "PermissionDenied"}},
    )


@dataclass
class Variant:
    id: str
    sku: str
    product_id: str
    stocks: dict[str, int]
    """Warehouse id -> units on hand."""
    allocated: dict[str, int] = field(default_factory=dict)
    price: float | None = None
    """The variant's price in the default channel; None: not listed in any channel."""


@dataclass
class Line:
    id: str
    variant_id: str
    quantity: int
    product_name: str = "Product"
    unit_price: float = 10.0
    fulfilled: int = 0


@dataclass
class Fulfilment:
    id: str
    lines: list[tuple[str, int]]
    """(order line id, quantity) pairs."""
    tracking_number: str = ""
    status: str = "FULFILLED"


@dataclass
class Order:
    id: str
    number: str
    lines: list[Line]
    status: str = "UNFULFILLED"
    email: str = "customer@example.com"
    currency: str = "USD"
    fulfillments: list[Fulfilment] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return round(sum(line.unit_price * line.quantity for line in self.lines), 2)


@dataclass
class Product:
    id: str
    name: str
    slug: str
    description: str | None = None
    """Saleor's EditorJS JSON, as a string."""
    seo_title: str | None = None
    seo_description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


class ShopState:
    """Orders, lines, variants with SKUs and stock per warehouse, fulfilments, products."""

    def __init__(self) -> None:
        self.warehouses: dict[str, str] = {}
        self.variants: dict[str, Variant] = {}
        self.orders: dict[str, Order] = {}
        self.products: dict[str, Product] = {}
        self.received: Counter[str] = Counter()
        self.applied: Counter[str] = Counter()
        self._next = 0

    def _pk(self) -> int:
        self._next += 1
        return self._next

    def add_warehouse(self, name: str) -> str:
        warehouse_id = global_id("Warehouse", f"00000000-0000-0000-0000-{self._pk():012d}")
        self.warehouses[warehouse_id] = name
        return warehouse_id

    def add_product(self, name: str, *, description: str | None = None) -> Product:
        pk = self._pk()
        slug = name.lower().replace(" ", "-")
        product = Product(global_id("Product", pk), name, slug, description)
        self.products[product.id] = product
        return product

    def add_variant(self, product: Product, sku: str, stocks: dict[str, int]) -> Variant:
        variant = Variant(global_id("ProductVariant", self._pk()), sku, product.id, dict(stocks))
        self.variants[variant.id] = variant
        return variant

    def add_order(
        self, lines: list[tuple[Variant, int, float]], *, email: str = "customer@example.com"
    ) -> Order:
        """An unfulfilled order whose lines allocate stock, as checkout completion does."""
        pk = self._pk()
        order_lines = []
        for variant, quantity, price in lines:
            line_id = global_id("OrderLine", f"00000000-0000-0000-0001-{self._pk():012d}")
            product = self.products[variant.product_id]
            order_lines.append(Line(line_id, variant.id, quantity, product.name, price))
            warehouse = next(iter(variant.stocks), None)
            if warehouse is not None:  # a variant stocked nowhere allocates nothing
                variant.allocated[warehouse] = variant.allocated.get(warehouse, 0) + quantity
        uuid = f"00000000-0000-0000-0002-{pk:012d}"
        order = Order(global_id("Order", uuid), str(pk), order_lines, email=email)
        self.orders[order.id] = order
        return order

    # -- views: what a GraphQL selection reads (dict keys are schema field names) --------

    def order_view(self, order: Order) -> Json:
        return {
            "__typename": "Order",
            "id": order.id,
            "number": order.number,
            "created": CREATED,
            "updatedAt": CREATED,
            "status": order.status,
            "userEmail": order.email,
            "customerNote": "",
            "channel": {"__typename": "Channel", "slug": "default-channel"},
            "user": None,
            "billingAddress": None,
            "shippingAddress": None,
            "isPaid": True,
            "chargeStatus": "FULL",
            "total": money(order.total, order.currency),
            "lines": [self.line_view(line) for line in order.lines],
            "fulfillments": [self.fulfilment_view(order, f) for f in order.fulfillments],
            **metadata_fields(order.metadata),
        }

    def line_view(self, line: Line) -> Json:
        variant = self.variants.get(line.variant_id)
        return {
            "__typename": "OrderLine",
            "id": line.id,
            "productName": line.product_name,
            "variantName": variant.sku if variant else "",
            "unitPrice": money(line.unit_price, "USD"),
            "allocations": [],
            "productSku": variant.sku if variant else None,
            "productVariantId": line.variant_id,
            "quantity": line.quantity,
            "quantityFulfilled": line.fulfilled,
            "quantityToFulfill": line.quantity - line.fulfilled,
            "variant": self.variant_view(variant) if variant else None,
        }

    def variant_view(self, variant: Variant) -> Json:
        return {
            "__typename": "ProductVariant",
            "id": variant.id,
            "sku": variant.sku,
            "name": variant.sku,
            "channelListings": [] if variant.price is None else [channel_listing(variant)],
            "product": lambda _info: self.product_view(self.products[variant.product_id]),
            "stocks": [
                {
                    "__typename": "Stock",
                    "id": global_id("Stock", f"{variant.id}/{warehouse}"),
                    "warehouse": self.warehouse_view(warehouse),
                    "quantity": quantity,
                    "quantityAllocated": variant.allocated.get(warehouse, 0),
                    "quantityReserved": 0,
                }
                for warehouse, quantity in variant.stocks.items()
            ],
        }

    def warehouse_view(self, warehouse_id: str) -> Json:
        name = self.warehouses[warehouse_id]
        return {"__typename": "Warehouse", "id": warehouse_id, "name": name, "slug": name}

    def fulfilment_view(self, order: Order, fulfilment: Fulfilment) -> Json:
        by_id = {line.id: line for line in order.lines}
        return {
            "__typename": "Fulfillment",
            "id": fulfilment.id,
            "status": fulfilment.status,
            "trackingNumber": fulfilment.tracking_number,
            "created": CREATED,
            "warehouse": None,
            "lines": [
                {
                    "__typename": "FulfillmentLine",
                    "id": global_id("FulfillmentLine", f"{fulfilment.id}/{line_id}"),
                    "quantity": quantity,
                    "orderLine": self.line_view(by_id[line_id]),
                }
                for line_id, quantity in fulfilment.lines
            ],
        }

    def product_view(self, product: Product) -> Json:
        return {
            "__typename": "Product",
            "id": product.id,
            "name": product.name,
            "slug": product.slug,
            "created": CREATED,
            "updatedAt": CREATED,
            "productType": {
                "__typename": "ProductType",
                "id": global_id("ProductType", 1),
                "name": "Goods",
            },
            "category": None,
            "variants": [
                self.variant_view(v) for v in self.variants.values() if v.product_id == product.id
            ],
            "description": product.description,
            "seoTitle": product.seo_title,
            "seoDescription": product.seo_description,
            **metadata_fields(product.metadata),
        }


def channel_listing(variant: Variant) -> Json:
    """The variant's listing in the default channel, at its price."""
    return {
        "__typename": "ProductVariantChannelListing",
        "id": global_id("ProductVariantChannelListing", variant.id),
        "channel": {
            "__typename": "Channel",
            "id": global_id("Channel", 1),
            "slug": "default-channel",
            "name": "Default Channel",
            "currencyCode": "USD",
        },
        "price": {"__typename": "Money", "amount": variant.price, "currency": "USD"},
        "costPrice": None,
    }


def money(amount: float, currency: str) -> Json:
    """Saleor's `TaxedMoney` with no tax."""
    gross = {"__typename": "Money", "amount": amount, "currency": currency}
    return {"__typename": "TaxedMoney", "gross": gross, "net": gross, "currency": currency}


def metadata_fields(metadata: dict[str, str]) -> Json:
    def metafield(_info: Info, key: str) -> str | None:
        return metadata.get(key)

    return {
        "metadata": [{"key": k, "value": v} for k, v in metadata.items()],
        "metafield": metafield,
    }


def field_error(field_name: str | None, code: str, message: str) -> Json:
    return {"field": field_name, "code": code, "message": message}


def dumps_description(text: str) -> str:
    """A plain text as Saleor's EditorJS description JSON."""
    block = {"type": "paragraph", "data": {"text": text}}
    return json.dumps({"time": 0, "blocks": [block], "version": "2.24.3"})
