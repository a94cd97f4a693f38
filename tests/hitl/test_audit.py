"""The audit trail: a linear hash chain per tenant that names the first entry tampered with."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection

from hitl.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditReport,
    append_audit,
    canonical_json,
    entry_hash,
    verify_audit,
)
from runtime.database import Pool, open_pool
from runtime.resources import Resources

# Values jsonb stores as `numeric` and may hand back spelled differently.
AWKWARD_DETAILS: dict[Any, Any] = {
    "big": 1e100,
    "huge": 1.7976931348623157e308,
    "tiny": 5e-324,
    "negative_zero": -0.0,
    "whole_float": 1.0,
    "inexact": 0.1 + 0.2,
    "wide_int": 2**70,
    "text": 'Zoë — 注文 \u2028 "quoted" \\ back',
    "nested": {"b": [1, 2.5, None, True], "a": {"z": "", "y": False}},
    "tuple": (1, "two"),
    3: "an int key",
}


@pytest.fixture
def pool(resources: Resources) -> Pool:
    return resources.pool


async def new_tenant(pool: Pool) -> str:
    tenant_id = f"audit-{uuid.uuid4().hex[:8]}"
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, 'Audit tests')", (tenant_id,)
        )
    return tenant_id


@pytest.fixture
async def tenant(pool: Pool) -> str:
    return await new_tenant(pool)


async def append(pool: Pool, tenant_id: str, n: int, **details: Any) -> AuditEntry:
    async with pool.connection() as conn:
        return await append_audit(
            conn,
            tenant_id=tenant_id,
            actor="reviewer:alice",
            action="approval.decided",
            subject=f"approval:{n}",
            details={"n": n, **details},
        )


async def append_many(pool: Pool, tenant_id: str, count: int) -> list[AuditEntry]:
    return [await append(pool, tenant_id, n) for n in range(count)]


async def tamper(pool: Pool, statement: str, params: tuple[Any, ...]) -> None:
    """Change the log the way an owner could: with the append-only trigger switched off."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        await conn.execute(statement, params)
        await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")


async def chain(pool: Pool, tenant_id: str) -> list[dict[str, Any]]:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT seq, prev_hash, hash FROM audit_log WHERE tenant_id = %s ORDER BY seq",
            (tenant_id,),
        )
        return [dict(row) for row in await cursor.fetchall()]


async def test_entries_chain_from_genesis(pool: Pool, tenant: str) -> None:
    first, second = await append_many(pool, tenant, 2)
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert first.at.tzinfo is not None and first.at <= second.at
    assert await verify_audit(pool, tenant_id=tenant) == AuditReport(
        ok=True, entries=2, head={tenant: second.hash}
    )


async def test_concurrent_appends_stay_linear(pool: Pool, tenant: str) -> None:
    await asyncio.gather(*(append(pool, tenant, n) for n in range(30)))
    rows = await chain(pool, tenant)
    assert [row["seq"] for row in rows] == list(range(1, 31))
    assert [row["prev_hash"] for row in rows] == [GENESIS_HASH] + [r["hash"] for r in rows[:-1]]
    assert (await verify_audit(pool, tenant_id=tenant)).entries == 30


async def test_an_entry_commits_or_rolls_back_with_the_callers_transaction(
    pool: Pool, tenant: str
) -> None:
    class Abandon(Exception):
        pass

    with pytest.raises(Abandon):
        async with pool.connection() as conn, conn.transaction():
            await append_audit(
                conn, tenant_id=tenant, actor="a", action="compensation", subject="s", details={}
            )
            raise Abandon
    entry = await append(pool, tenant, 1)
    assert (entry.seq, entry.prev_hash) == (1, GENESIS_HASH)


async def test_the_hash_survives_the_jsonb_round_trip(pool: Pool, tenant: str) -> None:
    entry = await append(pool, tenant, 1, **{"awkward": AWKWARD_DETAILS})
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT tenant_id, seq, at, actor, action, subject, address, details, prev_hash"
            " FROM audit_log WHERE tenant_id = %s",
            (tenant,),
        )
        stored = await cursor.fetchone()
    assert stored is not None
    assert entry_hash(dict(stored)) == entry.hash
    assert stored["details"] == entry.details
    assert (await verify_audit(pool, tenant_id=tenant)).ok


def test_numbers_are_hashed_by_value() -> None:
    assert canonical_json(1e100) == canonical_json(10**100)
    assert canonical_json(-0.0) == canonical_json(0) == "0"
    assert canonical_json(1.0) == canonical_json(1)
    assert canonical_json(2**100) != canonical_json(2**100 + 1)
    assert canonical_json(1) != canonical_json("1")
    assert canonical_json({"b": 1, "a": [1.5, None]}) == '{"a":[15E-1,null],"b":1E0}'


async def test_details_must_be_finite_json(pool: Pool, tenant: str) -> None:
    with pytest.raises(ValueError, match="finite JSON"):
        await append(pool, tenant, 1, ratio=float("nan"))
    assert await chain(pool, tenant) == []


async def test_update_delete_and_truncate_are_refused(pool: Pool, tenant: str) -> None:
    await append_many(pool, tenant, 2)
    statements = [
        ("UPDATE audit_log SET actor = 'mallory' WHERE tenant_id = %s", (tenant,)),
        ("DELETE FROM audit_log WHERE tenant_id = %s", (tenant,)),
        ("TRUNCATE audit_log", ()),
    ]
    async with pool.connection() as conn:
        for statement, params in statements:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                await conn.execute(statement, params)
    assert len(await chain(pool, tenant)) == 2


async def test_verify_names_an_altered_entry(pool: Pool, tenant: str) -> None:
    entries = await append_many(pool, tenant, 4)
    await tamper(
        pool,
        "UPDATE audit_log SET details = details || '{\"n\": 99}' WHERE tenant_id = %s AND seq = 3",
        (tenant,),
    )
    report = await verify_audit(pool, tenant_id=tenant)
    assert (report.ok, report.broken_at, report.reason) == (False, (tenant, 3), "hash mismatch")
    assert report.entries == 2
    assert report.head == {tenant: entries[1].hash}


async def test_verify_names_the_entry_after_one_rewritten_with_a_fresh_hash(
    pool: Pool, tenant: str
) -> None:
    await append_many(pool, tenant, 4)
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT tenant_id, seq, at, actor, action, subject, address, details, prev_hash"
            " FROM audit_log WHERE tenant_id = %s AND seq = 2",
            (tenant,),
        )
        fields = await cursor.fetchone()
    assert fields is not None
    forged = {**fields, "actor": "mallory"}
    await tamper(
        pool,
        "UPDATE audit_log SET actor = 'mallory', hash = %s WHERE tenant_id = %s AND seq = 2",
        (entry_hash(forged), tenant),
    )
    report = await verify_audit(pool, tenant_id=tenant)
    assert (report.broken_at, report.reason) == (
        (tenant, 3),
        "prev_hash does not match the previous entry",
    )


@pytest.mark.parametrize("removed", [1, 2])
async def test_verify_names_a_deleted_entry(pool: Pool, tenant: str, removed: int) -> None:
    await append_many(pool, tenant, 3)
    await tamper(pool, "DELETE FROM audit_log WHERE tenant_id = %s AND seq = %s", (tenant, removed))
    report = await verify_audit(pool, tenant_id=tenant)
    assert (report.ok, report.broken_at, report.reason) == (
        False,
        (tenant, removed),
        "sequence gap",
    )


async def test_verify_refuses_an_unknown_tenant(pool: Pool) -> None:
    with pytest.raises(LookupError, match="tenant 'nope' does not exist"):
        await verify_audit(pool, tenant_id="nope")


@pytest.fixture
async def fresh_pool(pg_server: Any, template_database: str) -> AsyncIterator[Pool]:
    """A database of its own: the tests above leave broken chains behind on purpose."""
    name = f"audit_{uuid.uuid4().hex[:12]}"
    async with await AsyncConnection.connect(pg_server.get_uri("postgres"), autocommit=True) as c:
        await c.execute(f'CREATE DATABASE "{name}" TEMPLATE {template_database}')
    async with open_pool(str(pg_server.get_uri(name)), min_size=1, max_size=4) as opened:
        yield opened


async def test_verify_walks_every_tenant_and_stops_at_the_first_break(
    fresh_pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hitl.audit.VERIFY_PAGE", 2)  # pages end inside and between tenants
    first, second = sorted([await new_tenant(fresh_pool), await new_tenant(fresh_pool)])
    await append_many(fresh_pool, first, 3)
    await append_many(fresh_pool, second, 2)
    assert (await verify_audit(fresh_pool)).entries == 5
    await tamper(
        fresh_pool,
        "UPDATE audit_log SET subject = 'approval:x' WHERE tenant_id = %s AND seq = 2",
        (second,),
    )
    report = await verify_audit(fresh_pool)
    assert (report.broken_at, report.reason, report.entries) == ((second, 2), "hash mismatch", 4)
    assert (await verify_audit(fresh_pool, tenant_id=first)).ok
