"""A fresh store per case: a tenant of its own, seeded with the retail data and stock.

Measured against cloning a template database per case (see evals/README.md): a new tenant
costs one seeding transaction on the open pool; a cloned database costs CREATE DATABASE and a
new pool, checkpointer and queue per case, several times more. Tenants isolate every row of
ours, the ledger and the checkpoints (threads are named by event id), so they are correct too.
"""

from __future__ import annotations

from connectors.seeding import seed_everything
from runtime.database import Pool


async def create_case_tenant(pool: Pool, tenant_id: str) -> None:
    """The tenant row, then the same seed `opsgraph store seed` loads."""
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (tenant_id, f"eval case {tenant_id}"),
        )
    await seed_everything(pool, tenant_id=tenant_id, reset=True)
