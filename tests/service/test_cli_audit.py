"""`opsgraph audit verify`, run as a process: intact, then broken at the row tampered with."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from hitl.audit import append_audit
from runtime.resources import Resources
from tests.e2e.live import opsgraph_env, run_cli


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return opsgraph_env(tmp_path / "data", database_url=database_url)


async def test_verify_passes_then_names_the_altered_row(
    env: dict[str, str], resources: Resources
) -> None:
    tenant = f"cli-audit-{uuid.uuid4().hex[:6]}"
    async with resources.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, 'CLI audit')", (tenant,)
        )
        for n in range(3):
            await append_audit(
                conn,
                tenant_id=tenant,
                actor="reviewer:bob",
                action="approval.edited",
                subject=f"approval:{n}",
                details={"before": {"amount": 10}, "after": {"amount": 5 + n}},
            )
        total = await (await conn.execute("SELECT count(*) AS n FROM audit_log")).fetchone()
    assert total is not None

    intact = run_cli("audit", "verify", env=env)
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.strip() == f"audit trail intact: {total['n']} entries"
    one = run_cli("audit", "verify", "--tenant", tenant, env=env)
    assert one.stdout.strip() == "audit trail intact: 3 entries"

    async with resources.pool.connection() as conn, conn.transaction():
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        await conn.execute(
            'UPDATE audit_log SET details = \'{"after": {"amount": 0}}\''
            " WHERE tenant_id = %s AND seq = 2",
            (tenant,),
        )
        await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")

    expected = f"audit trail broken at tenant {tenant} seq 2: hash mismatch"
    for scope in ([], ["--tenant", tenant]):
        broken = run_cli("audit", "verify", *scope, env=env)
        assert broken.returncode == 1, broken.stderr
        assert broken.stdout.strip() == expected


def test_verify_refuses_an_unknown_tenant(env: dict[str, str]) -> None:
    result = run_cli("audit", "verify", "--tenant", "nope", env=env)
    assert result.returncode == 2
    assert "tenant 'nope' does not exist" in result.stderr
