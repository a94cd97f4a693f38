"""API keys: 401 without a valid key, 403 for the wrong role, only hashes stored."""

from __future__ import annotations

import re
import uuid

import httpx
from fastapi import FastAPI

from api.auth import current_key
from api.errors import api_routes, calls
from runtime.apikeys import Role, create_key, hash_key, revoke_key
from runtime.resources import Resources
from tests.support import make_key

EVENT = {"type": "lead.created", "entity": "lead:1", "payload": {"email": "a@b.example"}}


async def test_missing_key_is_401_with_a_reason(client: httpx.AsyncClient) -> None:
    answer = await client.post("/events", json=EVENT)
    assert answer.status_code == 401
    assert answer.json() == {"detail": "missing API key: send 'Authorization: Bearer <key>'"}
    assert answer.headers["www-authenticate"] == "Bearer"


async def test_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    answer = await client.get("/events", headers={"Authorization": "Bearer og_not-a-real-key"})
    assert answer.status_code == 401
    assert answer.json()["detail"] == "invalid or revoked API key"


async def test_revoked_key_is_401(client: httpx.AsyncClient, resources: Resources) -> None:
    secret = await make_key(resources, Role.OPERATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/events", headers=headers)).status_code == 200
    async with resources.pool.connection() as conn:
        await conn.execute(
            "UPDATE api_keys SET revoked_at = now() WHERE key_hash = %s", (hash_key(secret),)
        )
    assert (await client.get("/events", headers=headers)).status_code == 401


async def test_reviewer_cannot_send_events(
    client: httpx.AsyncClient, reviewer_headers: dict[str, str]
) -> None:
    answer = await client.post("/events", json=EVENT, headers=reviewer_headers)
    assert answer.status_code == 403
    assert (
        answer.json()["detail"] == "this route needs a admin or operator key; this key is reviewer"
    )


async def test_admin_may_send_events(client: httpx.AsyncClient, resources: Resources) -> None:
    headers = {"Authorization": f"Bearer {await make_key(resources, Role.ADMIN)}"}
    assert (await client.post("/events", json=EVENT, headers=headers)).status_code == 202


async def test_only_the_hash_of_a_key_is_stored(resources: Resources) -> None:
    secret = await make_key(resources, Role.REVIEWER)
    async with resources.pool.connection() as conn:
        rows = await (await conn.execute("SELECT * FROM api_keys")).fetchall()
    stored = repr(rows)
    assert secret not in stored
    assert any(row["key_hash"] == hash_key(secret) for row in rows)


def keyed_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route that takes a Bearer key, path parameters filled in."""
    found = []
    for route in api_routes(app):
        if current_key in set(calls(route.dependant)):
            path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path_format or "")
            found += [(method, path) for method in sorted(route.methods or ())]
    return found


async def test_a_revoked_key_is_refused_on_every_keyed_route(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    key, secret = await create_key(
        resources.pool, tenant_id="default", name="revoked-everywhere", role=Role.ADMIN
    )
    headers = {"Authorization": f"Bearer {secret}"}
    routes = keyed_routes(app)
    assert {("GET", "/events"), ("POST", "/keys"), ("GET", "/approvals")} <= set(routes)
    for method, path in routes:
        answer = await client.request(method, path, headers=headers, json={})
        assert answer.status_code not in (401, 403), (method, path, answer.text)
    await revoke_key(resources.pool, tenant_id="default", key_id=key.key_id)
    for method, path in routes:
        answer = await client.request(method, path, headers=headers, json={})
        assert answer.status_code == 401, (method, path)
