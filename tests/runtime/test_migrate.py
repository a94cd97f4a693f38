"""Migrations: numbered, recorded, idempotent; every table of ours carries tenant_id."""

from __future__ import annotations

from runtime.migrate import known_migrations, migrate, pending_migrations
from runtime.resources import Resources

EXTERNAL_PREFIXES = ("procrastinate_", "checkpoint")
EXTERNAL_TABLES = {"store", "store_migrations", "store_vectors", "vector_migrations"}
META_TABLES = {"opsgraph_migrations", "tenants"}
# Whole-database bookkeeping: the migration record, and the one embedder and dimension that
# the knowledge base's vector column and HNSW index were built with (shared by every tenant).
BOOKKEEPING = {"opsgraph_migrations", "kb_index"}


async def test_all_known_migrations_are_recorded(resources: Resources) -> None:
    async with resources.pool.connection() as conn:
        rows = await (
            await conn.execute("SELECT version, name FROM opsgraph_migrations ORDER BY version")
        ).fetchall()
    assert [(row["version"], row["name"]) for row in rows] == [
        (migration.version, migration.name) for migration in known_migrations()
    ]
    assert await pending_migrations(resources.pool) == []


async def test_migrating_again_applies_nothing(resources: Resources) -> None:
    assert await migrate(resources.pool) == []


async def test_every_table_of_ours_has_tenant_id(resources: Resources) -> None:
    async with resources.pool.connection() as conn:
        rows = await (
            await conn.execute(
                """
                SELECT t.table_name,
                       bool_or(c.column_name = 'tenant_id') AS has_tenant
                  FROM information_schema.tables t
                  JOIN information_schema.columns c USING (table_schema, table_name)
                 WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
                 GROUP BY t.table_name
                """
            )
        ).fetchall()
    ours = {
        row["table_name"]: row["has_tenant"]
        for row in rows
        if not row["table_name"].startswith(EXTERNAL_PREFIXES)
        and row["table_name"] not in EXTERNAL_TABLES | BOOKKEEPING
    }
    assert {"tenants", "api_keys", "events", "store_orders", "tool_ledger"} <= set(ours)
    assert [name for name, has_tenant in ours.items() if not has_tenant] == []


async def test_default_tenant_exists(resources: Resources) -> None:
    async with resources.pool.connection() as conn:
        row = await (
            await conn.execute("SELECT name FROM tenants WHERE tenant_id = 'default'")
        ).fetchone()
    assert row is not None


async def test_langgraph_and_procrastinate_tables_share_the_database(
    resources: Resources,
) -> None:
    async with resources.pool.connection() as conn:
        rows = await (
            await conn.execute(
                "SELECT to_regclass('checkpoints') AS a, to_regclass('store') AS b, "
                "to_regclass('procrastinate_jobs') AS c"
            )
        ).fetchone()
    assert rows is not None
    assert all(value is not None for value in rows.values())
