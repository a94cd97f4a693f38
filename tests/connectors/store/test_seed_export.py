"""Seeding and exporting the store: a round trip, resets, and tenants kept apart."""

from __future__ import annotations

import json

import pytest

from connectors.store.export import export_store
from connectors.store.seed import load_seed_data, read_seed_file, seed_store
from runtime.resources import Resources
from tests.connectors.store.support import call, dumped

SEEDED = {"users": 500, "orders": 1000, "products": 50}
ADDRESS = {
    "address1": "1 Main St",
    "address2": "",
    "city": "Springfield",
    "state": "IL",
    "country": "USA",
    "zip": "62701",
}


async def add_tenant(resources: Resources, tenant_id: str) -> None:
    async with resources.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (tenant_id, tenant_id),
        )


async def test_seed_then_export_gives_back_the_seed_files(resources: Resources) -> None:
    assert await seed_store(resources.pool) == SEEDED
    exported = await export_store(resources.pool)
    files = {kind: read_seed_file(f"{kind}.json") for kind in SEEDED}
    assert exported == files
    # Same keys in the same order, same numbers as written: the records are kept verbatim.
    assert dumped(exported) == dumped(load_seed_data())
    assert json.dumps(exported["orders"]) == json.dumps(files["orders"])


async def test_seeding_again_keeps_what_is_there_and_reset_restores_the_seed(
    resources: Resources,
) -> None:
    await seed_store(resources.pool, reset=True)
    cancelled = await call(
        resources.pool,
        "cancel_pending_order",
        {"order_id": "#W5442520", "reason": "no longer needed"},
    )
    assert json.loads(cancelled)["status"] == "cancelled"

    assert await seed_store(resources.pool) == SEEDED
    kept = await export_store(resources.pool)
    assert kept["orders"]["#W5442520"]["status"] == "cancelled"

    assert await seed_store(resources.pool, reset=True) == SEEDED
    assert dumped(await export_store(resources.pool)) == dumped(load_seed_data())


async def test_another_tenant_sees_nothing_of_the_default_store(resources: Resources) -> None:
    await seed_store(resources.pool, reset=True)
    await add_tenant(resources, "acme")
    assert await export_store(resources.pool, tenant_id="acme") == {
        "users": {},
        "orders": {},
        "products": {},
    }
    for name, args in [
        ("get_order_details", {"order_id": "#W5442520"}),
        ("get_user_details", {"user_id": "olivia_ito_3591"}),
        ("get_product_details", {"product_id": "9743693396"}),
        ("find_user_id_by_email", {"email": "noah.brown7922@example.com"}),
        ("find_user_id_by_name_zip", {"first_name": "Noah", "last_name": "Brown", "zip": "80279"}),
        ("cancel_pending_order", {"order_id": "#W5442520", "reason": "no longer needed"}),
        ("modify_user_address", {"user_id": "olivia_ito_3591", **ADDRESS}),
    ]:
        answer = await call(resources.pool, name, args, tenant_id="acme")
        assert answer.startswith("Error: ") and answer.endswith("not found"), (name, answer)
    assert await call(resources.pool, "list_all_product_types", {}, tenant_id="acme") == "{}"
    assert dumped(await export_store(resources.pool)) == dumped(load_seed_data())


async def test_a_change_in_one_tenant_leaves_the_other_as_seeded(resources: Resources) -> None:
    await seed_store(resources.pool, reset=True)
    await add_tenant(resources, "globex")
    assert await seed_store(resources.pool, tenant_id="globex", reset=True) == SEEDED

    await call(
        resources.pool,
        "cancel_pending_order",
        {"order_id": "#W5442520", "reason": "ordered by mistake"},
        tenant_id="globex",
    )
    await call(resources.pool, "modify_user_address", {"user_id": "olivia_ito_3591", **ADDRESS})

    default = await export_store(resources.pool)
    globex = await export_store(resources.pool, tenant_id="globex")
    assert default["orders"]["#W5442520"]["status"] == "pending"
    assert globex["orders"]["#W5442520"]["status"] == "cancelled"
    assert default["users"]["olivia_ito_3591"]["address"] == ADDRESS
    assert globex["users"]["olivia_ito_3591"] == load_seed_data()["users"]["olivia_ito_3591"]


async def test_seeding_an_unknown_tenant_says_what_to_do(resources: Resources) -> None:
    with pytest.raises(LookupError, match="add it to `tenants` first"):
        await seed_store(resources.pool, tenant_id="nobody")
