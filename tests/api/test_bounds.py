"""POST /events refuses, with 422 and its reason, what the store or a run cannot hold."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from runtime.resources import Resources

ENTITY = "lead:bounds"


def event_json(
    *,
    payload: str = '{"email": "a@b.example"}',
    entity: str = f'"{ENTITY}"',
    occurred: str = "null",
) -> str:
    """Raw JSON, so that values `json.dumps` would never write can be sent."""
    return (
        f'{{"type": "lead.created", "entity": {entity}, "payload": {payload}, '
        f'"occurred_at": {occurred}}}'
    )


REFUSED = {
    "far_future_time": (
        {"occurred": '"9999-12-31T23:59:59-14:00"'},
        "body.occurred_at",
        "in the future",
    ),
    "time_before_2000": ({"occurred": '"1970-01-01T00:00:00Z"'}, "body.occurred_at", "before"),
    "nul_in_value": ({"payload": '{"note": "a\\u0000b"}'}, "body.payload.note", "NUL"),
    "nul_in_key": ({"payload": '{"a\\u0000b": 1}'}, "body.payload: a key", "NUL"),
    "nul_in_entity": ({"entity": '"lead:\\u0000"'}, "body.entity", "NUL"),
    "lone_surrogate_value": ({"payload": '{"note": "\\ud800"}'}, "body.payload.note", "surrogate"),
    "lone_surrogate_key": ({"payload": '{"\\udfff": 1}'}, "body.payload: a key", "surrogate"),
    "lone_surrogate_entity": ({"entity": '"lead:\\ud800"'}, "body.entity", "surrogate"),
    "nan": ({"payload": '{"total": NaN}'}, "body.payload.total", "not finite"),
    "infinity": ({"payload": '{"total": -Infinity}'}, "body.payload.total", "not finite"),
    "overflowing_float": ({"payload": '{"total": 1e400}'}, "body.payload.total", "not finite"),
    "integer_above_64_bits": (
        {"payload": f'{{"n": {2**63}}}'},
        "body.payload.n",
        "64-bit",
    ),
    "integer_below_64_bits": (
        {"payload": f'{{"lines": [{{"q": {-(2**63) - 1}}}]}}'},
        "body.payload.lines[0].q",
        "64-bit",
    ),
    "too_deep": ({"payload": '{"a": ' * 80 + "1" + "}" * 80}, "body.payload", "nested deeper"),
}


async def stored_count(resources: Resources) -> int:
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT count(*) AS n FROM events WHERE entity LIKE 'lead:%%' AND source = 'api'"
        )
        row = await cursor.fetchone()
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_unstorable_values_are_422_with_the_reason(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    resources: Resources,
    case: str,
) -> None:
    parts, where, reason = REFUSED[case]
    before = await stored_count(resources)
    answer = await client.post(
        "/events",
        content=event_json(**parts).encode(),
        headers={"Content-Type": "application/json", **operator_headers},
    )
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert isinstance(body["detail"], str)
    assert where in body["detail"]
    assert reason in body["detail"]
    assert [error["loc"][0] for error in body["errors"]] == ["body"]
    assert await stored_count(resources) == before


@pytest.mark.parametrize(
    ("parts", "description"),
    [
        ({"payload": f'{{"n": {2**63 - 1}, "m": {-(2**63)}}}'}, "64-bit extremes"),
        ({"payload": '{"total": 1e308, "note": "caf\\u00e9 \\ud83d\\ude00"}'}, "big, emoji"),
        ({"occurred": '"2000-01-01T00:00:00Z"'}, "the earliest time"),
        ({"occurred": "NOW_PLUS_23H"}, "a clock a little ahead"),
        ({"occurred": '"2024-05-01T12:00:00"'}, "a naive time (read as UTC)"),
    ],
)
async def test_values_inside_the_bounds_are_accepted_and_readable(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    parts: dict[str, str],
    description: str,
) -> None:
    if parts.get("occurred") == "NOW_PLUS_23H":
        parts = {"occurred": json.dumps((datetime.now(UTC) + timedelta(hours=23)).isoformat())}
    answer = await client.post(
        "/events",
        content=event_json(**parts).encode(),
        headers={"Content-Type": "application/json", **operator_headers},
    )
    assert answer.status_code == 202, (description, answer.text)
    event_id = answer.json()["event_id"]
    read = await client.get(f"/events/{event_id}", headers=operator_headers)
    assert read.status_code == 200
    listed = await client.get("/events?limit=500", headers=operator_headers)
    assert listed.status_code == 200
    assert event_id in {event["event_id"] for event in listed.json()}


async def test_a_naive_time_is_stored_as_utc(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    answer = await client.post(
        "/events",
        content=event_json(occurred='"2024-05-01T12:00:00"').encode(),
        headers={"Content-Type": "application/json", **operator_headers},
    )
    read = await client.get(f"/events/{answer.json()['event_id']}", headers=operator_headers)
    occurred = datetime.fromisoformat(read.json()["occurred_at"])
    assert occurred == datetime(2024, 5, 1, 12, tzinfo=UTC)
