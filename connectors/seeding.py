"""Seeding the whole local store: the retail records and the opening stock derived from them."""

from __future__ import annotations

from connectors.stock import seed_stock
from connectors.store.seed import seed_store
from runtime.database import Pool


async def seed_everything(
    pool: Pool, *, tenant_id: str = "default", reset: bool = False
) -> dict[str, int]:
    """Retail users, orders and products (kept unless `reset`), and stock rows for variants."""
    counts = await seed_store(pool, tenant_id=tenant_id, reset=reset)
    async with pool.connection() as conn, conn.transaction():
        if reset:
            await conn.execute("DELETE FROM store_reservations WHERE tenant_id = %s", (tenant_id,))
            await conn.execute("DELETE FROM store_stock WHERE tenant_id = %s", (tenant_id,))
        counts["stock rows"] = await seed_stock(conn, tenant_id=tenant_id)
    return counts
