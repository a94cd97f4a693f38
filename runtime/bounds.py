"""Bounds on what enters the events inbox: values PostgreSQL stores and a run can carry.

Checked where events arrive (`POST /events`, webhooks) so a bad value is refused there with
its reason, instead of answering 500 from the database, being stored unreadable (a year
10000 timestamp) or failing every run in serialization (an integer beyond 64 bits).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator

EARLIEST_OCCURRED_AT = datetime(2000, 1, 1, tzinfo=UTC)
"""No business event this service handles happened before this."""

MAX_CLOCK_AHEAD = timedelta(days=1)
"""How far in the future a sender's clock may put an event (time zones, skew)."""

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_JSON_DEPTH = 64
"""Nesting deeper than this is no business payload (and recursion limits sit not far off)."""


class OutOfBounds(ValueError):
    """A value the store or a run cannot hold; the message says where and why."""


def check_occurred_at(value: datetime, *, now: datetime | None = None) -> datetime:
    """The time, timezone-aware (naive means UTC), if it lies between 2000 and tomorrow."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    latest = (now or datetime.now(UTC)) + MAX_CLOCK_AHEAD
    if aware < EARLIEST_OCCURRED_AT:
        raise OutOfBounds(
            f"occurred_at {aware.isoformat()} is before {EARLIEST_OCCURRED_AT.date()}"
        )
    if aware > latest:
        raise OutOfBounds(
            f"occurred_at {aware.isoformat()} is more than "
            f"{MAX_CLOCK_AHEAD.total_seconds() / 3600:g} h in the future"
        )
    return aware


def check_text(value: str, where: str) -> str:
    """The string, if PostgreSQL can store it: no NUL character, no lone surrogate."""
    if "\x00" in value:
        raise OutOfBounds(f"{where}: contains a NUL character (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise OutOfBounds(f"{where}: contains a lone surrogate (not valid Unicode)") from None
    return value


def check_json(value: Any, where: str = "payload") -> Any:
    """The JSON value, if every part is storable and serializable, else `OutOfBounds`.

    Integers within signed 64 bits, finite numbers (no NaN, Infinity or 1e400), strings and
    keys as `check_text` wants them, at most `MAX_JSON_DEPTH` levels deep.
    """
    pending: list[tuple[Any, str, int]] = [(value, where, 0)]
    while pending:
        item, path, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise OutOfBounds(f"{path}: nested deeper than {MAX_JSON_DEPTH} levels")
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                raise OutOfBounds(f"{path}: integer outside the signed 64-bit range")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise OutOfBounds(f"{path}: number is not finite (NaN, Infinity or too large)")
        elif isinstance(item, str):
            check_text(item, path)
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise OutOfBounds(f"{path}: key {key!r} is not a string")
                check_text(key, f"{path}: a key")
                pending.append((child, member(path, key), depth + 1))
        elif isinstance(item, list | tuple):
            pending.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
        else:
            raise OutOfBounds(f"{path}: {type(item).__name__} is not a JSON value")
    return value


def member(path: str, key: str) -> str:
    """`path.key`, or `path["..."]` (escaped, shortened) when the key is not a plain name."""
    if key.isidentifier() and key.isascii() and len(key) <= 64:
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key[:64])}]"


def storable_text(where: str) -> AfterValidator:
    """A pydantic validator applying `check_text` to a string field named `where`."""
    return AfterValidator(lambda value: check_text(value, where))


SaneTime = Annotated[datetime, AfterValidator(check_occurred_at)]
"""A datetime `check_occurred_at` accepts, as a pydantic field type."""

StorableObject = Annotated[dict[str, Any], AfterValidator(check_json)]
"""A JSON object `check_json` accepts (errors located under `payload`)."""


def check_event(entity: str, payload: dict[str, Any], occurred_at: datetime | None) -> None:
    """What `CanonicalEvent` checks, for events built elsewhere (webhook deliveries)."""
    check_text(entity, "entity")
    check_json(payload)
    if occurred_at is not None:
        check_occurred_at(occurred_at)
