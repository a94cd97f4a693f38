"""Schema migrations: our numbered SQL files, procrastinate's schema, LangGraph's tables."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.store.postgres.aio import AsyncPostgresStore
from procrastinate.schema import SchemaManager
from psycopg import sql

from runtime.database import Pool

logger = logging.getLogger(__name__)

MIGRATION_FILE = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
# Serializes concurrent start-ups (an API and a worker process starting together).
MIGRATION_LOCK_ID = 7_301_955_001

CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS opsgraph_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: str


def procrastinate_migration() -> Migration:
    """Procrastinate's own schema, applied once as our migration 0002."""
    return Migration(2, "procrastinate_schema", SchemaManager.get_schema())


def known_migrations() -> list[Migration]:
    """Every migration this build knows, in order."""
    found = [procrastinate_migration()]
    for entry in resources.files("runtime.migrations").iterdir():
        match = MIGRATION_FILE.match(entry.name)
        if match:
            found.append(Migration(int(match["version"]), match["name"], entry.read_text("utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions in {versions}")
    return found


async def applied_versions(pool: Pool) -> set[int]:
    async with pool.connection() as conn:
        exists = await conn.execute("SELECT to_regclass('opsgraph_migrations') AS name")
        row = await exists.fetchone()
        if row is None or row["name"] is None:
            return set()
        cursor = await conn.execute("SELECT version FROM opsgraph_migrations")
        return {int(record["version"]) for record in await cursor.fetchall()}


async def pending_migrations(pool: Pool) -> list[Migration]:
    done = await applied_versions(pool)
    return [migration for migration in known_migrations() if migration.version not in done]


async def migrate(pool: Pool) -> list[Migration]:
    """Apply what is pending, each migration in its own transaction; return what ran."""
    ran: list[Migration] = []
    async with pool.connection() as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_ID,))
        try:
            await conn.execute(CREATE_MIGRATIONS_TABLE)
            cursor = await conn.execute("SELECT version FROM opsgraph_migrations")
            done = {int(record["version"]) for record in await cursor.fetchall()}
            for migration in known_migrations():
                if migration.version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(sql.SQL(migration.statements))
                    await conn.execute(
                        "INSERT INTO opsgraph_migrations (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
                logger.info("applied migration %04d_%s", migration.version, migration.name)
                ran.append(migration)
            await AsyncPostgresSaver(conn).setup()
            await AsyncPostgresStore(conn).setup()
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_ID,))
    return ran
