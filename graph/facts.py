"""Facts read from an event's stored payload, strictly.

A value that is absent may have a documented default (an order without a currency is in the
store's currency); a value that is present but unusable is unknown, never quietly replaced
by a default: the policy then fails closed and a person decides.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.database import Pool

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


@dataclass
class Facts:
    """What the policy judges a call by: the facts established, the ones that could not be
    (fact -> why, for the reviewer), and context lines for the reviewer."""

    values: dict[str, Any] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def set(self, name: str, value: Any) -> None:
        self.values[name] = value
        self.unknown.pop(name, None)

    def lack(self, name: str, why: str) -> None:
        self.values.pop(name, None)
        self.unknown[name] = why


@dataclass(frozen=True)
class FactQuery:
    """One gated call, as the sources of its facts see it: the call and the run's event."""

    pool: Pool
    tenant_id: str
    tool: str
    args: Mapping[str, Any]
    event: Mapping[str, Any]

    @property
    def payload(self) -> Mapping[str, Any]:
        payload = self.event.get("payload")
        return payload if isinstance(payload, Mapping) else {}


FactSource = Callable[[FactQuery, Facts], Awaitable[None]]
"""Establishes some facts about a call (or names why it cannot). A tool declares its own
sources next to itself; the gate runs them and only evaluates the policy."""
