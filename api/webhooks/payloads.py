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


def order_status(item: dict[str, Any]) -> str | None:
    """The order's own status (Saleor's `status`); Shopify has none, so a cancellation or
    its fulfilment status stands in."""
    if first(item, "cancelled_at") is not None:
        return "cancelled"
    status = first(item, "status", "fulfillment_status")
    return str(status).lower() if isinstance(status, str) else None


def payment_status(item: dict[str, Any]) -> str | None:
    status = first(item, "chargeStatus", "charge_status", "paymentStatus", "financial_status")
    return str(status).lower() if isinstance(status, str) else None


def is_paid(item: dict[str, Any]) -> bool | None:
    """Saleor's `isPaid`, or a payment status that means paid in full."""
    paid = item.get("isPaid", item.get("is_paid"))
    if isinstance(paid, bool):
        return paid
    status = payment_status(item)
    if status is None:
        return None
    return status in ("paid", "full", "fully_charged", "overcharged")


def tracking_numbers(item: dict[str, Any]) -> list[str] | None:
    """Tracking numbers of the order's fulfilments (Saleor `trackingNumber`, Shopify
    `tracking_numbers` / `tracking_number`), or of a fulfilment itself."""
    found: list[str] = []
    fulfilments = item.get("fulfillments")
    records = (
        [f for f in fulfilments if isinstance(f, dict)] if isinstance(fulfilments, list) else []
    )
    for record in [item, *records]:
        numbers = record.get("tracking_numbers")
        if isinstance(numbers, list):
            found += [str(n) for n in numbers if isinstance(n, str | int) and str(n)]
        single = first(record, "trackingNumber", "tracking_number")
        if isinstance(single, str | int) and str(single) not in found:
            found.append(str(single))
    return found or None


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
            "status": order_status(item),
            "paid": is_paid(item),
            "payment_status": payment_status(item),
            "tracking": tracking_numbers(item),
            "lines": order_lines(item),
        }
    )


def fulfilment_fields(item: dict[str, Any]) -> dict[str, Any]:
    """A Shopify fulfilment: the order it ships, its status and tracking numbers."""
    return compact(
        {
            "order_id": str(first(item, "order_id") or ""),
            "fulfilment_id": first(item, "id"),
            "status": str(item["status"]).lower() if isinstance(item.get("status"), str) else None,
            "tracking": tracking_numbers(item),
        }
    )


def listed_price(variant: dict[str, Any]) -> float | None:
    """A Saleor variant's price in its first channel listing (`channelListings[].price`)."""
    listings = variant.get("channelListings")
    if isinstance(listings, list) and listings and isinstance(listings[0], dict):
        return amount(listings[0].get("price"))
    return None


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
            "price": amount(first(first_variant, "price", "pricing"))
            or listed_price(first_variant),
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


def cents_to_amount(cents: Any) -> float | None:
    if isinstance(cents, bool) or not isinstance(cents, int | float | str):
        return None
    try:
        return round(int(cents) / 100, 2)
    except ValueError:
        return None


def stripe_id(value: Any) -> str | None:
    """A Stripe reference, whether sent as an id or expanded into its object."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if isinstance(value, str) and value else None


def stripe_order_id(item: dict[str, Any]) -> str | None:
    """The store order a Stripe object belongs to: `metadata.order_id` on it, or on the
    charge it names when the charge is expanded."""
    for record in (item, item.get("charge")):
        metadata = record.get("metadata") if isinstance(record, dict) else None
        if isinstance(metadata, dict):
            order_id = first(metadata, "order_id", "orderId")
            if isinstance(order_id, str | int):
                return str(order_id)
    return None


def stripe_fields(item: dict[str, Any]) -> dict[str, Any]:
    cents = first(item, "amount_due", "amount_refunded", "amount")
    return compact(
        {
            "id": item.get("id"),
            "customer": stripe_id(item.get("customer")),
            "amount": cents_to_amount(cents),
            "currency": str(item["currency"]).upper() if item.get("currency") else None,
            "status": item.get("status"),
            "attempt_count": item.get("attempt_count"),
            "charge": stripe_id(item.get("charge")),
            "reason": item.get("reason"),
            "order_id": stripe_order_id(item),
        }
    )


def stripe_subscription_fields(item: dict[str, Any]) -> dict[str, Any]:
    """A Stripe subscription: its customer, plan (the first item's price), status, price,
    when the current period ends and whether it cancels then."""
    items = item.get("items")
    data = items.get("data") if isinstance(items, dict) else None
    line = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
    price = line.get("price") if isinstance(line.get("price"), dict) else item.get("plan")
    price = price if isinstance(price, dict) else {}
    period_end = parse_time(first(item, "current_period_end") or first(line, "current_period_end"))
    return compact(
        {
            "id": item.get("id"),
            "customer": stripe_id(item.get("customer")),
            "status": item.get("status"),
            "plan": first(price, "nickname", "lookup_key", "id"),
            "amount": cents_to_amount(first(price, "unit_amount", "amount")),
            "currency": str(price["currency"]).upper() if price.get("currency") else None,
            "period_end": period_end.isoformat() if period_end else None,
            "cancel_at_period_end": item.get("cancel_at_period_end")
            if isinstance(item.get("cancel_at_period_end"), bool)
            else None,
        }
    )


def generic_fields(item: dict[str, Any]) -> dict[str, Any]:
    """For senders whose data is already in canonical shape: taken as sent."""
    return dict(item)
