"""A tenant's whole store, keyed and shaped exactly as the seed files."""

from __future__ import annotations

from connectors.store.documents import StoreData
from runtime.database import Pool


async def export_store(pool: Pool, *, tenant_id: str = "default") -> StoreData:
    """Users, orders and products of one consistent snapshot, each in seed order."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        users = await conn.execute(
            "SELECT user_id, doc FROM store_users WHERE tenant_id = %s ORDER BY position, user_id",
            (tenant_id,),
        )
        orders = await conn.execute(
            "SELECT order_id, doc FROM store_orders WHERE tenant_id = %s"
            " ORDER BY position, order_id",
            (tenant_id,),
        )
        products = await conn.execute(
            "SELECT product_id, doc FROM store_products WHERE tenant_id = %s"
            " ORDER BY position, product_id",
            (tenant_id,),
        )
        return {
            "users": {row["user_id"]: row["doc"] for row in await users.fetchall()},
            "orders": {row["order_id"]: row["doc"] for row in await orders.fetchall()},
            "products": {row["product_id"]: row["doc"] for row in await products.fetchall()},
        }
