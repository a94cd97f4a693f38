"""Field extraction: times, money, countries, and the canonical fields of each object kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from api.webhooks.payloads import (
    amount,
    country,
    customer_fields,
    generic_fields,
    money_currency,
    order_fields,
    order_lines,
    parse_time,
    product_fields,
    stripe_fields,
)
from runtime.order_lines import LineLimits
from runtime.settings import get_settings

NEW_YEAR_2026 = datetime(2026, 1, 1, tzinfo=UTC)


def nones(value: Any, path: str = "payload") -> list[str]:
    """Every path in a nested payload whose value is None."""
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in nones(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in nones(item, f"{path}[{i}]")]
    return []


# --- parse_time ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-01T00:00:00Z", NEW_YEAR_2026),
        ("2026-01-01T00:00:00.000000Z", NEW_YEAR_2026),
        ("2026-01-01T00:00:00+00:00", NEW_YEAR_2026),
        ("2026-01-01T02:00:00+02:00", NEW_YEAR_2026),
        ("2025-12-31T19:00:00-05:00", NEW_YEAR_2026),
        ("2026-01-01T00:00:00", NEW_YEAR_2026),
        ("2026-01-01", NEW_YEAR_2026),
        (1_767_225_600, NEW_YEAR_2026),
        ("1767225600", NEW_YEAR_2026),
        (1_767_225_600.0, NEW_YEAR_2026),
    ],
    ids=repr,
)
def test_parse_time_reads_iso_and_unix(value: Any, expected: datetime) -> None:
    parsed = parse_time(value)

    assert parsed == expected
    assert parsed is not None
    assert parsed.utcoffset() is not None


def test_parse_time_keeps_the_sender_offset() -> None:
    parsed = parse_time("2026-01-01T02:00:00+02:00")

    assert parsed is not None
    assert parsed.utcoffset() == timedelta(hours=2)
    assert parsed.tzinfo == timezone(timedelta(hours=2))


def test_parse_time_treats_naive_as_utc() -> None:
    parsed = parse_time("2026-03-01T10:15:00")

    assert parsed is not None
    assert parsed.tzinfo == UTC
    assert parsed.hour == 10


def test_parse_time_unix_is_utc() -> None:
    parsed = parse_time(1_767_225_600)

    assert parsed is not None
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-01-01T25:00:00",
        "-1767225600",
        [],
        {},
        {"date": "2026-01-01"},
        10**20,
        float("nan"),
        "99999999999999",
        True,
    ],
    ids=repr,
)
def test_parse_time_garbage_is_none(value: Any) -> None:
    assert parse_time(value) is None


# --- amount, currency, country ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12.5, 12.5),
        (12, 12.0),
        (0, 0.0),
        ("12.50", 12.5),
        ("0.00", 0.0),
        ({"gross": {"amount": 12.5, "currency": "USD"}}, 12.5),
        ({"gross": {"amount": "12.50"}, "net": {"amount": 10.0}}, 12.5),
        ({"amount": 3.1, "currency": "EUR"}, 3.1),
    ],
    ids=repr,
)
def test_amount_reads_numbers_strings_and_money(value: Any, expected: float) -> None:
    assert amount(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "twelve",
        "12,50",
        [],
        [12.5],
        {},
        {"gross": {}},
        {"gross": {"currency": "USD"}},
        {"gross": {"amount": None}},
        {"gross": 12.5},
    ],
    ids=repr,
)
def test_amount_garbage_is_none(value: Any) -> None:
    assert amount(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"gross": {"amount": 1, "currency": "EUR"}}, "EUR"),
        ({"amount": 1, "currency": "GBP"}, "GBP"),
        ({"gross": {"amount": 1}}, None),
        ("12.50", None),
        (12.5, None),
        (None, None),
    ],
    ids=repr,
)
def test_money_currency(value: Any, expected: str | None) -> None:
    assert money_currency(value) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ({"country_code": "CA", "country": "Canada"}, "CA"),
        ({"countryCode": "DE"}, "DE"),
        ({"country": {"code": "FR", "country": "France"}}, "FR"),
        ({"country": "GB"}, "GB"),
        ({"country": {"country": "France"}}, None),
        ({"city": "Boston"}, None),
        ({}, None),
        (None, None),
        ("US", None),
    ],
    ids=repr,
)
def test_country(address: Any, expected: str | None) -> None:
    assert country(address) == expected


# --- order_fields -------------------------------------------------------------------------


def test_order_fields_leave_out_what_the_sender_omitted() -> None:
    fields = order_fields({"id": 450789469})

    assert fields["order_id"] == "450789469"
    for key in ("number", "total", "currency", "email", "payment_method", "note"):
        assert key not in fields, key
    assert not nones(fields)


def test_order_fields_never_carry_none_from_explicit_nulls() -> None:
    fields = order_fields(
        {
            "id": 1,
            "email": None,
            "note": None,
            "total_price": None,
            "currency": None,
            "customer": None,
            "billing_address": None,
            "shipping_address": {"country_code": None},
            "line_items": [{"sku": None, "title": "Gift card", "quantity": 1, "price": None}],
            "payment_gateway_names": [],
        }
    )

    assert not nones(fields)
    assert fields["lines"] == [{"name": "Gift card", "quantity": 1}]


def test_order_fields_shopify_spelling() -> None:
    fields = order_fields(
        {
            "id": 820982911946154508,
            "name": "#1001",
            "total_price": "199.00",
            "currency": "USD",
            "customer": {"id": 115310627314723954, "email": "jon@example.com", "orders_count": 3},
            "note": "leave at the door",
            "line_items": [
                {"sku": "TR-42", "title": "Trail Runner", "quantity": 2, "price": "99.50"}
            ],
            "payment_gateway_names": ["manual", "shopify_payments"],
        }
    )

    assert fields["email"] == "jon@example.com"
    assert fields["customer"] == {
        "id": 115310627314723954,
        "email": "jon@example.com",
        "order_count": 3,
    }
    assert fields["payment_method"] == "manual"
    assert fields["note"] == "leave at the door"
    assert fields["total"] == 199.0
    assert fields["lines"] == [
        {"sku": "TR-42", "name": "Trail Runner", "quantity": 2, "unit_price": 99.5}
    ]


def test_order_fields_saleor_legacy_and_subscription_agree() -> None:
    legacy = order_fields(
        {
            "id": "T3JkZXI6MQ==",
            "user_email": "ada@example.com",
            "total_gross_amount": "42.00",
            "currency": "EUR",
            "billing_address": {"country": "DE"},
            "customer_note": "ring twice",
            "lines": [
                {
                    "product_sku": "MUG-1",
                    "product_name": "Mug",
                    "quantity": 3,
                    "unit_price_gross_amount": "14.00",
                }
            ],
        }
    )
    subscription = order_fields(
        {
            "id": "T3JkZXI6MQ==",
            "userEmail": "ada@example.com",
            "total": {"gross": {"amount": 42.0, "currency": "EUR"}},
            "billingAddress": {"country": {"code": "DE"}},
            "customerNote": "ring twice",
            "lines": [
                {
                    "productSku": "MUG-1",
                    "productName": "Mug",
                    "quantity": 3,
                    "unitPrice": {"gross": {"amount": 14.0, "currency": "EUR"}},
                }
            ],
        }
    )

    assert legacy == subscription
    assert legacy["total"] == 42.0
    assert legacy["currency"] == "EUR"
    assert legacy["billing_address"] == {"country": "DE"}
    assert legacy["lines"] == [{"sku": "MUG-1", "name": "Mug", "quantity": 3, "unit_price": 14.0}]


def test_order_line_without_quantity_counts_one() -> None:
    fields = order_fields({"id": 1, "line_items": [{"sku": "A"}, "not a line", None]})

    assert fields["lines"] == [{"sku": "A", "quantity": 1}]


def test_order_line_quantity_zero_is_kept() -> None:
    fields = order_fields({"id": 1, "line_items": [{"sku": "A", "quantity": 0}]})

    assert fields["lines"] == [{"sku": "A", "quantity": 0}]


def test_order_line_quantity_at_the_limit_is_kept() -> None:
    fields = order_fields({"id": 1, "line_items": [{"sku": "A", "quantity": 10_000}]})

    assert fields["lines"] == [{"sku": "A", "quantity": 10_000}]


@pytest.mark.parametrize(
    ("quantity", "reason"),
    [
        (300_000, "line quantity 300000 is over the limit of 10000"),
        (10_001, "line quantity 10001 is over the limit of 10000"),
        (2**70, "is over the limit of 10000"),
        (-1, "line quantity -1 is negative"),
        (2.5, "line quantity 2.5 is not a whole number"),
        ("lots", "line quantity 'lots' is not a whole number"),
        (True, "line quantity True is not a whole number"),
    ],
)
def test_order_line_quantity_out_of_bounds_is_refused(quantity: Any, reason: str) -> None:
    """The normalizer's ValueError is what makes the route answer 400 and store `rejected`."""
    with pytest.raises(ValueError, match=reason):
        order_fields({"id": 1, "line_items": [{"sku": "A", "quantity": quantity}]})


def test_more_order_lines_than_the_limit_are_refused() -> None:
    lines = [{"sku": f"S{n}", "quantity": 1} for n in range(501)]

    with pytest.raises(ValueError, match="501 lines is over the limit of 500"):
        order_fields({"id": 1, "line_items": lines})
    assert len(order_fields({"id": 1, "line_items": lines[:500]})["lines"]) == 500


def test_line_limits_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSGRAPH_MAX_ORDER_LINES", "2")
    monkeypatch.setenv("OPSGRAPH_MAX_LINE_QUANTITY", "5")
    get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="over the limit of 5"):
            order_fields({"id": 1, "line_items": [{"sku": "A", "quantity": 6}]})
        with pytest.raises(ValueError, match="3 lines is over the limit of 2"):
            order_fields({"id": 1, "line_items": [{"sku": "A"}] * 3})
    finally:
        get_settings.cache_clear()


def test_explicit_limits_override_the_settings() -> None:
    limits = LineLimits(max_lines=1, max_quantity=3)

    assert order_lines({"lines": [{"sku": "A", "quantity": 3}]}, limits) == [
        {"sku": "A", "quantity": 3}
    ]
    with pytest.raises(ValueError, match="over the limit of 3"):
        order_lines({"lines": [{"sku": "A", "quantity": 4}]}, limits)


# --- product_fields -----------------------------------------------------------------------


def test_product_fields_shopify_product() -> None:
    fields = product_fields(
        {
            "id": 632910392,
            "title": "IPod Nano - 8GB",
            "body_html": "<p>It's the small iPod.</p>",
            "vendor": "Apple",
            "variants": [
                {
                    "id": 808950810,
                    "sku": "IPOD2008PINK",
                    "price": "199.00",
                    "inventory_quantity": 0,
                },
                {"id": 49148385, "sku": "IPOD2008RED", "price": "199.00", "inventory_quantity": 20},
            ],
        }
    )

    assert fields == {
        "product_id": "632910392",
        "name": "IPod Nano - 8GB",
        "description": "<p>It's the small iPod.</p>",
        "brand": "Apple",
        "sku": "IPOD2008PINK",
        "price": 199.0,
        "stock": 0,
    }


def test_product_fields_saleor_stocks_are_summed() -> None:
    fields = product_fields(
        {
            "id": "UHJvZHVjdDo3Mg==",
            "name": "Trail Runner",
            "variants": [{"sku": "TR-42", "stocks": [{"quantity": 2}, {"quantity": 5}, {}]}],
        }
    )

    assert fields["stock"] == 7
    assert fields["sku"] == "TR-42"


def test_product_fields_inventory_level() -> None:
    fields = product_fields({"inventory_item_id": 271878346596884015, "available": 12})

    assert fields == {"product_id": "271878346596884015", "stock": 12}


def test_product_fields_inventory_level_zero() -> None:
    fields = product_fields({"inventory_item_id": 271878346596884015, "available": 0})

    assert fields["stock"] == 0


def test_product_fields_leave_out_what_the_sender_omitted() -> None:
    fields = product_fields({"id": 1})

    assert fields == {"product_id": "1"}


# --- customer_fields, stripe_fields, generic_fields ---------------------------------------


@pytest.mark.parametrize(
    "item",
    [
        {"id": 706405506, "email": "bob@example.com", "first_name": "Bob", "last_name": "Norman"},
        {"id": 706405506, "email": "bob@example.com", "firstName": "Bob", "lastName": "Norman"},
    ],
    ids=["snake", "camel"],
)
def test_customer_fields(item: dict[str, Any]) -> None:
    assert customer_fields(item) == {
        "customer_id": "706405506",
        "email": "bob@example.com",
        "first_name": "Bob",
        "last_name": "Norman",
    }


def test_customer_fields_leave_out_what_the_sender_omitted() -> None:
    assert customer_fields({"id": "VXNlcjoy", "firstName": None}) == {"customer_id": "VXNlcjoy"}


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"amount_due": 4999}, 49.99),
        ({"amount_due": 0, "amount": 500}, 0.0),
        ({"amount_refunded": 2500, "amount": 5000}, 25.0),
        ({"amount": 1}, 0.01),
        ({"amount": "1999"}, 19.99),
    ],
    ids=repr,
)
def test_stripe_fields_cents_to_amount(item: dict[str, Any], expected: float) -> None:
    assert stripe_fields({"id": "x", **item})["amount"] == expected


def test_stripe_fields_upper_cases_currency_and_omits_the_rest() -> None:
    fields = stripe_fields({"id": "in_1", "currency": "usd", "customer": None, "status": "paid"})

    assert fields == {"id": "in_1", "currency": "USD", "status": "paid"}


def test_generic_fields_are_a_copy_taken_as_sent() -> None:
    data = {"id": "L-77", "email": "kim@example.com", "score": None}

    fields = generic_fields(data)
    fields["id"] = "changed"

    assert data["id"] == "L-77"
    assert fields == {"id": "changed", "email": "kim@example.com", "score": None}
