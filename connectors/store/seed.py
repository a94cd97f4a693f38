"""Seeding a tenant's store with the τ-bench retail data kept in `retail_data/`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from connectors.store.documents import Conn, StoreData
from runtime.database import Pool

DATA_PACKAGE = "connectors.store.retail_data"


def read_seed_file(name: str) -> Any:
    """A file of `retail_data/` parsed, e.g. "orders.json" or "tasks_dev.json"."""
    return json.loads(resources.files(DATA_PACKAGE).joinpath(name).read_text("utf-8"))


def load_seed_data() -> StoreData:
    """A fresh copy of the seed records, keyed and ordered as in the files."""
    return {
        "users": read_seed_file("users.json"),
        "orders": read_seed_file("orders.json"),
        "products": read_seed_file("products.json"),
    }


@dataclass(frozen=True)
class SeedRows:
    """The seed as COPY rows (without the tenant), serialized once per process."""

    users: tuple[tuple[str, int, str], ...]
    orders: tuple[tuple[str, str, str, int, str], ...]
    products: tuple[tuple[str, int, str], ...]


@cache
def seed_rows() -> SeedRows:
    data = load_seed_data()
    return SeedRows(
        users=tuple(
            (user_id, position, json.dumps(doc))
            for position, (user_id, doc) in enumerate(data["users"].items())
        ),
        orders=tuple(
            (order_id, doc["user_id"], doc["status"], position, json.dumps(doc))
            for position, (order_id, doc) in enumerate(data["orders"].items())
        ),
        products=tuple(
            (product_id, position, json.dumps(doc))
            for position, (product_id, doc) in enumerate(data["products"].items())
        ),
    )


async def store_counts(conn: Conn, tenant_id: str) -> dict[str, int]:
    cursor = await conn.execute(
        """
        SELECT (SELECT count(*) FROM store_users WHERE tenant_id = %(t)s) AS users,
               (SELECT count(*) FROM store_orders WHERE tenant_id = %(t)s) AS orders,
               (SELECT count(*) FROM store_products WHERE tenant_id = %(t)s) AS products
        """,
        {"t": tenant_id},
    )
    row = await cursor.fetchone()
    assert row is not None
    return {
        "users": int(row["users"]),
        "orders": int(row["orders"]),
        "products": int(row["products"]),
    }


async def seed_store(
    pool: Pool, *, tenant_id: str = "default", reset: bool = False
) -> dict[str, int]:
    """Load the retail seed into the tenant's store; return how many users, orders, products.

    A tenant that already has store records keeps them unless `reset`, which replaces them.
    """
    async with pool.connection() as conn, conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"store-seed/{tenant_id}",)
        )
        tenant = await conn.execute("SELECT 1 FROM tenants WHERE tenant_id = %s", (tenant_id,))
        if await tenant.fetchone() is None:
            raise LookupError(f"tenant {tenant_id!r} does not exist: add it to `tenants` first")
        counts = await store_counts(conn, tenant_id)
        if any(counts.values()) and not reset:
            return counts
        await conn.execute("DELETE FROM store_users WHERE tenant_id = %s", (tenant_id,))
        await conn.execute("DELETE FROM store_orders WHERE tenant_id = %s", (tenant_id,))
        await conn.execute("DELETE FROM store_products WHERE tenant_id = %s", (tenant_id,))
        await copy_seed(conn, tenant_id)
        return await store_counts(conn, tenant_id)


async def copy_seed(conn: Conn, tenant_id: str) -> None:
    rows = seed_rows()
    cursor = conn.cursor()
    async with cursor.copy(
        "COPY store_users (tenant_id, user_id, position, doc) FROM STDIN"
    ) as copy:
        for user_row in rows.users:
            await copy.write_row((tenant_id, *user_row))
    async with cursor.copy(
        "COPY store_orders (tenant_id, order_id, user_id, status, position, doc) FROM STDIN"
    ) as copy:
        for order_row in rows.orders:
            await copy.write_row((tenant_id, *order_row))
    async with cursor.copy(
        "COPY store_products (tenant_id, product_id, position, doc) FROM STDIN"
    ) as copy:
        for product_row in rows.products:
            await copy.write_row((tenant_id, *product_row))
