"""Admin routes for API keys: list, create, revoke; admin only, tenant-scoped, at once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from runtime.apikeys import Role, hash_key
from runtime.resources import Resources
from tests.support import make_key

OTHER_TENANT = "keys-other"
EVENT = {"type": "lead.created", "entity": "lead:keys", "payload": {"email": "k@b.example"}}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
async def admin(resources: Resources) -> dict[str, str]:
    return bearer(await make_key(resources, Role.ADMIN))


@pytest.fixture(scope="module")
async def other_admin(resources: Resources) -> dict[str, str]:
    async with resources.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, 'Keys tests')", (OTHER_TENANT,)
        )
    return bearer(await make_key(resources, Role.ADMIN, tenant_id=OTHER_TENANT))


async def create(client: httpx.AsyncClient, admin: dict[str, str], role: str) -> dict[str, str]:
    answer = await client.post("/keys", json={"name": f"made-{role}", "role": role}, headers=admin)
    assert answer.status_code == 201, answer.text
    made: dict[str, str] = answer.json()
    return made


async def test_create_shows_the_key_once_and_it_works(
    client: httpx.AsyncClient, admin: dict[str, str], resources: Resources
) -> None:
    made = await create(client, admin, "operator")
    assert set(made) == {"key_id", "name", "role", "key"}
    assert (made["name"], made["role"]) == ("made-operator", "operator")
    assert (
        await client.post("/events", json=EVENT, headers=bearer(made["key"]))
    ).status_code == 202
    async with resources.pool.connection() as conn:
        row = await (
            await conn.execute(
                "SELECT tenant_id, key_hash FROM api_keys WHERE key_id = %s", (made["key_id"],)
            )
        ).fetchone()
    assert row == {"tenant_id": "default", "key_hash": hash_key(made["key"])}


async def test_the_list_never_shows_a_key_or_its_hash(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    made = await create(client, admin, "reviewer")
    answer = await client.get("/keys", headers=admin)
    assert answer.status_code == 200
    listed = answer.json()
    assert all(set(one) == {"key_id", "name", "role", "created_at", "revoked_at"} for one in listed)
    assert made["key_id"] in {one["key_id"] for one in listed}
    assert made["key"] not in answer.text
    assert hash_key(made["key"]).hex() not in answer.text


async def test_revoking_a_key_refuses_it_at_once_everywhere(
    client: httpx.AsyncClient, admin: dict[str, str], inbox_client: httpx.AsyncClient
) -> None:
    made = await create(client, admin, "admin")
    headers = bearer(made["key"])
    assert (await client.get("/events", headers=headers)).status_code == 200
    signed_in = await inbox_client.post("/inbox/login", data={"key": made["key"]})
    assert signed_in.status_code == 303
    assert (await inbox_client.get("/inbox")).status_code == 200

    answer = await client.post(f"/keys/{made['key_id']}/revoke", headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.json()["revoked_at"] is not None

    for method, path in [
        ("GET", "/events"),
        ("POST", "/events"),
        ("GET", "/approvals"),
        ("GET", "/keys"),
        ("POST", f"/keys/{made['key_id']}/revoke"),
    ]:
        refused = await client.request(method, path, headers=headers, json=EVENT)
        assert refused.status_code == 401, (method, path)
        assert refused.json()["detail"] == "invalid or revoked API key"
    page = await inbox_client.get("/inbox")
    assert (page.status_code, page.headers["location"]) == (303, "/inbox/login")


async def test_revoking_twice_keeps_the_first_time_and_is_audited(
    client: httpx.AsyncClient, admin: dict[str, str], resources: Resources
) -> None:
    made = await create(client, admin, "operator")
    first = (await client.post(f"/keys/{made['key_id']}/revoke", headers=admin)).json()
    again = await client.post(f"/keys/{made['key_id']}/revoke", headers=admin)
    assert again.status_code == 200
    assert again.json() == first
    async with resources.pool.connection() as conn:
        rows = await (
            await conn.execute(
                "SELECT action FROM audit_log WHERE subject = %s ORDER BY seq",
                (f"api_key:{made['key_id']}",),
            )
        ).fetchall()
    assert [row["action"] for row in rows] == [
        "api_key.created",
        "api_key.revoked",
        "api_key.revoked",
    ]


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.REVIEWER])
async def test_only_admins_manage_keys(
    client: httpx.AsyncClient, admin: dict[str, str], resources: Resources, role: Role
) -> None:
    target = (await create(client, admin, "operator"))["key_id"]
    headers = bearer(await make_key(resources, role))
    attempts = [
        await client.get("/keys", headers=headers),
        await client.post("/keys", json={"name": "x", "role": "admin"}, headers=headers),
        await client.post(f"/keys/{target}/revoke", headers=headers),
    ]
    assert [a.status_code for a in attempts] == [403, 403, 403]
    listed = (await client.get("/keys", headers=admin)).json()
    assert next(k for k in listed if k["key_id"] == target)["revoked_at"] is None
    assert "x" not in {k["name"] for k in listed}


async def test_no_key_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/keys")).status_code == 401
    assert (await client.post("/keys", json={"name": "x", "role": "admin"})).status_code == 401
    assert (await client.post(f"/keys/{uuid.uuid4()}/revoke")).status_code == 401


async def test_another_tenants_keys_can_be_neither_listed_nor_revoked(
    client: httpx.AsyncClient, admin: dict[str, str], other_admin: dict[str, str]
) -> None:
    ours = await create(client, admin, "operator")
    theirs = await create(client, other_admin, "operator")
    seen_by_them = {k["key_id"] for k in (await client.get("/keys", headers=other_admin)).json()}
    assert theirs["key_id"] in seen_by_them
    assert ours["key_id"] not in seen_by_them
    answer = await client.post(f"/keys/{ours['key_id']}/revoke", headers=other_admin)
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"no API key {ours['key_id']}"
    assert (await client.get("/events", headers=bearer(ours["key"]))).status_code == 200


async def test_unknown_key_ids_and_bad_bodies_are_refused(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (await client.post(f"/keys/{uuid.uuid4()}/revoke", headers=admin)).status_code == 404
    assert (await client.post("/keys/not-a-uuid/revoke", headers=admin)).status_code == 422
    for body in (
        r'{"name": "x", "role": "root"}',
        r'{"name": " ", "role": "admin"}',
        r'{"name": "nul\u0000", "role": "admin"}',
        r'{"name": "lone\ud800", "role": "admin"}',
        r'{"role": "admin"}',
    ):
        headers = {**admin, "Content-Type": "application/json"}
        answer = await client.post("/keys", content=body, headers=headers)
        assert answer.status_code == 422, body


async def test_an_admin_may_revoke_its_own_key(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    made = await create(client, admin, "admin")
    mine = bearer(made["key"])
    assert (await client.post(f"/keys/{made['key_id']}/revoke", headers=mine)).status_code == 200
    assert (await client.get("/keys", headers=mine)).status_code == 401


@pytest.fixture
async def inbox_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own: the inbox's session cookie lives in this client's jar."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_the_key_is_checked_before_the_body_is_read(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    unreadable = {"Content-Type": "application/json"}
    anonymous = await client.post("/keys", content=b"{not json", headers=unreadable)
    assert anonymous.status_code == 401
    reviewer = bearer(await make_key(resources, Role.REVIEWER))
    wrong_role = await client.post("/keys", content=b"{not json", headers=reviewer | unreadable)
    assert wrong_role.status_code == 403


async def test_the_openapi_document_lists_the_key_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert set(paths["/keys"]) == {"get", "post"}
    revoke = paths["/keys/{key_id}/revoke"]["post"]["responses"]
    assert {"200", "401", "403", "404", "422"} <= set(revoke)
    created = paths["/keys"]["post"]
    assert created["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/KeyIn"
    )
    assert "201" in created["responses"]
