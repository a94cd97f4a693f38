"""Facts read from an event's stored payload, strictly.

A value that is absent may have a documented default (an order without a currency is in the
store's currency); a value that is present but unusable is unknown, never quietly replaced
by a default: the policy then fails closed and a person decides.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

STORE_CURRENCY = "USD"
"""The local store's currency, for orders whose payload names none."""

CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


class UnknownFact(ValueError):
    """A fact that cannot be established; the message says why, for the reviewer."""


def shown(value: Any) -> str:
    """A short rendering of a bad value for the reviewer (never logged)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def currency_of(payload: Mapping[str, Any]) -> str:
    """The payload's currency as an upper-case three-letter code."""
    value = payload.get("currency")
    if value is None:
        return STORE_CURRENCY
    code = value.strip().upper() if isinstance(value, str) else ""
    if not CURRENCY_CODE.match(code):
        raise UnknownFact(f"the order's currency {shown(value)} is not a three-letter code")
    return code


def claimed_amount(payload: Mapping[str, Any], key: str) -> float | None:
    """A non-negative finite amount the payload states, or None when it states none."""
    value = payload.get(key)
    if value is None:
        return None
    try:
        amount = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        amount = math.nan
    if not math.isfinite(amount) or amount < 0:
        raise UnknownFact(f"the payload's {key} {shown(value)} is not an amount")
    return amount


def claimed_count(payload: Mapping[str, Any], key: str) -> int | None:
    """A non-negative whole number the payload states, or None when it states none."""
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnknownFact(f"the payload's {key} {shown(value)} is not a count")
    return value


def claimed_text(payload: Mapping[str, Any], *path: str) -> str | None:
    """A string at `path` in the payload (`billing_address`, `country`), or None."""
    value: Any = payload
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnknownFact(f"the payload's {'.'.join(path)} {shown(value)} is not text")
    return value
