"""Signed webhooks carrying values the store or a run cannot hold: 400, kept as rejected."""

from __future__ import annotations

import uuid

import httpx
import pytest

from api.webhooks.signing import standard_headers
from runtime.resources import Resources
from runtime.settings import Settings

CRM_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("bounds"),
        standard_webhook_secrets=f"crm={CRM_SECRET}",
        pool_max_size=4,
    )


def lead(data: str, timestamp: str = "null") -> bytes:
    """A Standard Webhooks lead event, as raw JSON text (NaN and escapes kept as written)."""
    return f'{{"type": "lead.created", "timestamp": {timestamp}, "data": {data}}}'.encode()


def lead_id() -> str:
    return f'"lead-{uuid.uuid4().hex}"'


REFUSED = {
    "integer_beyond_64_bits": (lead(f'{{"id": {lead_id()}, "score": {2**64}}}'), "64-bit"),
    "nul_in_a_value": (lead(f'{{"id": {lead_id()}, "note": "a\\u0000b"}}'), "NUL"),
    "lone_surrogate_in_a_key": (lead(f'{{"id": {lead_id()}, "\\ud800": 1}}'), "surrogate"),
    "nan": (lead(f'{{"id": {lead_id()}, "score": NaN}}'), "not finite"),
    "year_10000": (
        lead(f'{{"id": {lead_id()}}}', timestamp='"9999-12-31T23:59:59-14:00"'),
        "in the future",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_out_of_bounds_delivery_is_400_and_kept_as_rejected(
    client: httpx.AsyncClient, resources: Resources, case: str
) -> None:
    body, reason = REFUSED[case]
    headers = standard_headers(body, CRM_SECRET, msg_id=f"msg_{uuid.uuid4().hex}")
    answer = await client.post("/webhooks/standard/crm", content=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert reason in answer.json()["detail"]
    async with resources.pool.connection() as conn:
        row = await (
            await conn.execute(
                "SELECT status, status_reason, job_id, raw_body FROM events WHERE event_id = %s",
                (answer.json()["event_id"],),
            )
        ).fetchone()
    assert row is not None
    assert row["status"] == "rejected"
    assert reason in row["status_reason"]
    assert row["job_id"] is None
    assert bytes(row["raw_body"]) == body


async def test_a_delivery_within_the_bounds_is_queued(
    client: httpx.AsyncClient,
) -> None:
    body = lead(f'{{"id": {lead_id()}, "score": {2**63 - 1}}}')
    headers = standard_headers(body, CRM_SECRET, msg_id=f"msg_{uuid.uuid4().hex}")
    answer = await client.post("/webhooks/standard/crm", content=body, headers=headers)
    assert answer.status_code == 202, answer.text
