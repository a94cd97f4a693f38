"""`opsgraph keys list | revoke`, run as a process: never a key shown, revocation at once."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from runtime.apikeys import Role, create_key
from runtime.resources import Resources
from tests.e2e.live import opsgraph_env, run_cli


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return opsgraph_env(tmp_path / "data", database_url=database_url)


async def test_list_then_revoke_refuses_the_key_and_ends_its_sessions(
    env: dict[str, str], resources: Resources, client: httpx.AsyncClient
) -> None:
    key, secret = await create_key(
        resources.pool, tenant_id="default", name="cli-reviewer", role=Role.REVIEWER
    )
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/approvals", headers=headers)).status_code == 200
    signed_in = await client.post("/inbox/login", data={"key": secret})
    assert signed_in.status_code == 303
    assert (await client.get("/inbox")).status_code == 200

    listed = run_cli("keys", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if row.startswith(str(key.key_id)))
    assert line.split()[1] == "reviewer"
    assert line.split()[5:] == ["live", "cli-reviewer"]
    assert secret not in listed.stdout and secret[:10] not in listed.stdout

    revoked = run_cli("keys", "revoke", str(key.key_id), env=env)
    assert revoked.returncode == 0, revoked.stderr
    assert " revoked " in revoked.stdout
    assert (await client.get("/approvals", headers=headers)).status_code == 401
    page = await client.get("/inbox")
    assert (page.status_code, page.headers["location"]) == (303, "/inbox/login")
    relisted = run_cli("keys", "list", env=env)
    line = next(row for row in relisted.stdout.splitlines() if row.startswith(str(key.key_id)))
    assert line.split()[5] == "revoked"


async def test_revoke_stays_inside_the_tenant(
    env: dict[str, str], resources: Resources, client: httpx.AsyncClient
) -> None:
    tenant = f"cli-keys-{uuid.uuid4().hex[:6]}"
    async with resources.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, 'CLI keys')", (tenant,)
        )
    key, secret = await create_key(resources.pool, tenant_id=tenant, name="theirs", role=Role.ADMIN)

    wrong = run_cli("keys", "revoke", str(key.key_id), env=env)  # --tenant default
    assert wrong.returncode == 1
    assert f"no key {key.key_id} for tenant 'default'" in wrong.stderr
    assert (
        await client.get("/keys", headers={"Authorization": f"Bearer {secret}"})
    ).status_code == 200
    assert str(key.key_id) not in run_cli("keys", "list", env=env).stdout
    theirs = run_cli("keys", "list", "--tenant", tenant, env=env)
    assert [row.split()[0] for row in theirs.stdout.splitlines()] == [str(key.key_id)]

    right = run_cli("keys", "revoke", str(key.key_id), "--tenant", tenant, env=env)
    assert right.returncode == 0, right.stderr
    assert (
        await client.get("/keys", headers={"Authorization": f"Bearer {secret}"})
    ).status_code == 401


def test_list_of_a_tenant_without_keys_and_a_bad_id(env: dict[str, str]) -> None:
    empty = run_cli("keys", "list", "--tenant", "nobody", env=env)
    assert (empty.returncode, empty.stdout.strip()) == (0, "no keys for tenant 'nobody'")
    bad = run_cli("keys", "revoke", "not-a-uuid", env=env)
    assert bad.returncode == 2
    assert "Invalid value" in bad.stderr
