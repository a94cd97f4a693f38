"""Field extraction from the sources' own payload shapes into canonical payload fields.

One function per kind of object reads the Saleor (subscription camelCase or legacy
snake_case) and Shopify spellings alike; a field the sender did not send is left out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from runtime.order_lines import LineLimits, bounded_quantity, check_line_count


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 string or a unix timestamp as an aware datetime; None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def first(item: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = item.get(key)
        if value not in (None, ""):
            return value
    return None


def amount(value: Any) -> float | None:
    """A money amount from `12.5`, `"12.50"` or Saleor's `{"gross": {"amount": ...}}`."""
    if isinstance(value, dict):
        gross = value.get("gross")
        value = first(gross if isinstance(gross, dict) else value, "amount")
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def money_currency(value: Any) -> str | None:
    if isinstance(value, dict):
        inner = value.get("gross") or value
        currency = inner.get("currency") if isinstance(inner, dict) else None
        return str(currency) if currency else None
    return None


def country(address: Any) -> str | None:
    if not isinstance(address, dict):
        return None
    code = first(address, "country_code", "countryCode", "country")
    if isinstance(code, dict):
        code = code.get("code")
    return str(code) if code else None


def compact(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def quantity(line: dict[str, Any], limits: LineLimits) -> int:
    """The line's quantity, refused (ValueError: the delivery is rejected) out of bounds."""
    return bounded_quantity(first(line, "quantity"), limits)


def order_lines(item: dict[str, Any], limits: LineLimits | None = None) -> list[dict[str, Any]]:
    """The order's lines; more than the configured number of lines is refused."""
    lines = item.get("lines") or item.get("line_items") or []
    chosen = limits or LineLimits.of()
    if isinstance(lines, list):
        check_line_count(len(lines), chosen)
    return [
        compact(
            {
                "sku": first(line, "sku", "productSku", "product_sku"),
                "name": first(line, "name", "title", "productName", "product_name"),
                "quantity": quantity(line, chosen),
                "unit_price": amount(first(line, "unitPrice", "unit_price_gross_amount", "price")),
            }
        )
        for line in lines
        if isinstance(line, dict)
    ]


def order_fields(item: dict[str, Any]) -> dict[str, Any]:
    total = first(item, "total", "total_price", "total_gross_amount", "totalPrice")
    customer = item.get("customer") or item.get("user") or {}
    email = first(item, "email", "userEmail", "user_email") or (
        customer.get("email") if isinstance(customer, dict) else None
    )
    gateways = item.get("payment_gateway_names") or []
    return compact(
        {
            "order_id": str(first(item, "id", "token", "number") or ""),
            "number": first(item, "name", "number", "order_number"),
            "total": amount(total),
            "currency": money_currency(total) or first(item, "currency", "currency_code"),
            "email": email,
            "customer": compact(
                {
                    "id": customer.get("id") if isinstance(customer, dict) else None,
                    "email": email,
                    "order_count": customer.get("orders_count")
                    if isinstance(customer, dict)
                    else None,
                }
            ),
            "billing_address": compact(
                {"country": country(first(item, "billingAddress", "billing_address"))}
            ),
            "shipping_address": compact(
                {"country": country(first(item, "shippingAddress", "shipping_address"))}
            ),
            "payment_method": gateways[0] if gateways else None,
            "note": first(item, "note", "customerNote", "customer_note"),
            "lines": order_lines(item),
        }
    )


def product_fields(item: dict[str, Any]) -> dict[str, Any]:
    variants = [v for v in (item.get("variants") or []) if isinstance(v, dict)]
    first_variant = variants[0] if variants else {}
    stocks = first_variant.get("stocks") or []
    stock = first(item, "available", "quantity")
    if stock is None:
        stock = first(first_variant, "inventory_quantity", "quantity_available")
    if stock is None and stocks:
        stock = sum(int(s.get("quantity") or 0) for s in stocks if isinstance(s, dict))
    return compact(
        {
            "product_id": str(first(item, "id", "inventory_item_id") or ""),
            "name": first(item, "name", "title"),
            "description": first(item, "description", "body_html", "seoDescription"),
            "brand": first(item, "vendor", "brand"),
            "sku": first(first_variant, "sku") or first(item, "sku"),
            "price": amount(first(first_variant, "price", "pricing")),
            "stock": None if stock is None else int(stock),
        }
    )


def customer_fields(item: dict[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "customer_id": str(first(item, "id") or ""),
            "email": first(item, "email"),
            "first_name": first(item, "first_name", "firstName"),
            "last_name": first(item, "last_name", "lastName"),
        }
    )


def stripe_fields(item: dict[str, Any]) -> dict[str, Any]:
    cents = first(item, "amount_due", "amount_refunded", "amount")
    return compact(
        {
            "id": item.get("id"),
            "customer": item.get("customer"),
            "amount": None if cents is None else round(int(cents) / 100, 2),
            "currency": str(item["currency"]).upper() if item.get("currency") else None,
            "status": item.get("status"),
            "attempt_count": item.get("attempt_count"),
            "charge": item.get("charge"),
            "reason": item.get("reason"),
        }
    )


def generic_fields(item: dict[str, Any]) -> dict[str, Any]:
    """For senders whose data is already in canonical shape: taken as sent."""
    return dict(item)
