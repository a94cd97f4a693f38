"""score_order_risk: each named reason, its points, and the cap at 100 (the pure scoring)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from graph.tools.risk import score_order_risk

CALM_ORDER: dict[str, Any] = {
    "order_total": 80.0,
    "currency": "USD",
    "customer_order_count": 4,
    "customer_average_total": 70.0,
    "account_age_days": 400,
    "billing_country": "US",
    "shipping_country": "US",
    "orders_last_24h": 0,
    "payment_method": "credit_card",
}
"""A returning customer's ordinary order: no risk signal at all."""


def score(**overrides: Any) -> dict[str, Any]:
    return score_order_risk(**{**CALM_ORDER, **overrides})


def test_an_ordinary_order_scores_zero() -> None:
    assert score() == {"score": 0, "reasons": []}


@pytest.mark.parametrize(
    ("overrides", "points", "reason"),
    [
        ({"customer_order_count": 0}, 15, "first order from this customer"),
        ({"order_total": 210.01}, 25, "total is more than 3x the customer's average order"),
        (
            {"order_total": 1000.0, "customer_average_total": 400.0},
            15,
            "high value order (1000.00 USD)",
        ),
        ({"account_age_days": 1}, 20, "account created less than 2 days ago"),
        ({"shipping_country": "ca"}, 20, "billing and shipping countries differ"),
        ({"orders_last_24h": 3}, 20, "3 orders in the last 24 hours"),
        ({"payment_method": "crypto"}, 20, "payment by crypto"),
        ({"payment_method": "gift_card"}, 10, "payment by gift_card"),
        ({"payment_method": "paypal"}, 5, "payment by paypal"),
    ],
)
def test_each_signal_adds_its_named_reason(
    overrides: dict[str, Any], points: int, reason: str
) -> None:
    assert score(**overrides) == {
        "score": points,
        "reasons": [{"points": points, "reason": reason}],
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"order_total": 210.0},  # exactly 3x the average is not "more than"
        {"order_total": 999.99, "customer_average_total": 400.0},
        {"account_age_days": 2},
        {"billing_country": "us", "shipping_country": "US"},
        {"shipping_country": None},
        {"orders_last_24h": 2},
        {"payment_method": "bank_transfer"},
        {"customer_average_total": 0.0, "order_total": 900.0},  # no average to compare with
    ],
)
def test_no_signal_at_or_below_each_threshold(overrides: dict[str, Any]) -> None:
    assert score(**overrides) == {"score": 0, "reasons": []}


def test_first_order_is_not_also_compared_with_an_average() -> None:
    result = score(customer_order_count=0, customer_average_total=10.0, order_total=500.0)

    assert [reason["reason"] for reason in result["reasons"]] == ["first order from this customer"]


def test_score_is_capped_at_100_but_keeps_every_reason() -> None:
    result = score(
        order_total=1500.0,
        customer_average_total=100.0,
        account_age_days=0,
        billing_country="US",
        shipping_country="NG",
        orders_last_24h=5,
        payment_method="crypto",
    )

    assert result["score"] == 100
    assert [(reason["points"], reason["reason"]) for reason in result["reasons"]] == [
        (25, "total is more than 3x the customer's average order"),
        (15, "high value order (1500.00 USD)"),
        (20, "account created less than 2 days ago"),
        (20, "billing and shipping countries differ"),
        (20, "5 orders in the last 24 hours"),
        (20, "payment by crypto"),
    ]
    assert sum(reason["points"] for reason in result["reasons"]) == 120


@pytest.mark.parametrize(
    "overrides",
    [
        {"order_total": -1.0},
        {"currency": "DOLLAR"},
        {"customer_order_count": -1},
        {"account_age_days": "yesterday"},
        {"orders_last_24h": -2},
    ],
)
def test_invalid_arguments_are_rejected(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        score(**overrides)


def test_missing_required_facts_are_rejected() -> None:
    with pytest.raises(ValidationError, match="account_age_days"):
        score_order_risk(order_total=10.0, currency="USD", customer_order_count=1)


def test_an_unestablished_account_age_counts_as_new_only_without_earlier_orders() -> None:
    unknown = score(account_age_days=None, customer_order_count=0)
    vouched = score(account_age_days=None)

    assert unknown["reasons"] == [
        {"points": 15, "reason": "first order from this customer"},
        {
            "points": 20,
            "reason": "account age not established and no earlier orders (counted as new)",
        },
    ]
    assert vouched == {"score": 0, "reasons": []}
