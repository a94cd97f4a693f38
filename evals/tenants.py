"""A fresh store per case: a tenant of its own, holding a copy of the seeded retail store.

The run seeds one template tenant the way `opsgraph store seed` does; each case's tenant is
then copied from it inside the server (INSERT ... SELECT, four statements, one transaction).
Measured on this machine (see evals/README.md): about 0.4 s per case to seed from the files,
about 0.1 s to copy the template tenant, and several seconds to clone a
template database per case (CREATE DATABASE plus a pool for it). Tenants isolate every row
of ours, the ledger and the checkpoints (threads are named by event id), so they are correct.
"""

from __future__ import annotations

from connectors.seeding import seed_everything
from runtime.database import Pool

COPY_STORE = (
    "INSERT INTO store_users (tenant_id, user_id, position, doc)"
    " SELECT %(to)s, user_id, position, doc FROM store_users WHERE tenant_id = %(from)s",
    "INSERT INTO store_orders (tenant_id, order_id, user_id, status, position, doc)"
    " SELECT %(to)s, order_id, user_id, status, position, doc FROM store_orders"
    " WHERE tenant_id = %(from)s",
    "INSERT INTO store_products (tenant_id, product_id, position, doc)"
    " SELECT %(to)s, product_id, position, doc FROM store_products WHERE tenant_id = %(from)s",
    "INSERT INTO store_stock (tenant_id, item_id, product_id, on_hand, reserved)"
    " SELECT %(to)s, item_id, product_id, on_hand, 0 FROM store_stock WHERE tenant_id = %(from)s",
)


async def add_tenant(pool: Pool, tenant_id: str) -> None:
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (tenant_id, f"eval {tenant_id}"),
        )


async def create_template_tenant(pool: Pool, tenant_id: str) -> None:
    """The run's template: the same seed `opsgraph store seed` loads."""
    await add_tenant(pool, tenant_id)
    await seed_everything(pool, tenant_id=tenant_id, reset=True)


async def create_case_tenant(pool: Pool, tenant_id: str, *, template: str) -> None:
    """A new tenant whose store is a copy of the template's."""
    await add_tenant(pool, tenant_id)
    async with pool.connection() as conn, conn.transaction():
        for statement in COPY_STORE:
            await conn.execute(statement, {"to": tenant_id, "from": template})
