"""Per-tenant webhook secrets: sealed at rest, one source per secret, a cache bounded in time."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from cryptography.fernet import Fernet

from runtime.apikeys import UnknownTenantError
from runtime.database import Pool
from runtime.resources import Resources
from runtime.secretbox import SecretBox, SecretBoxError
from runtime.webhook_sources import (
    CACHE_TTL_S,
    InvalidSource,
    SecretInUse,
    SourceKind,
    SourceSecret,
    SourceSecrets,
    add_source_secret,
    check_source,
    fingerprint,
    list_source_secrets,
    read_source_secrets,
    remove_source_secret,
)

BOX = SecretBox(Fernet.generate_key())
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def new_tenant(pool: Pool) -> str:
    tenant = f"shop-{uuid.uuid4().hex[:8]}"
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, 'Sources tests')", (tenant,)
        )
    return tenant


def unique(prefix: str = "shpss") -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


async def test_a_secret_is_stored_sealed_and_read_back(resources: Resources) -> None:
    tenant = await new_tenant(resources.pool)
    secret = unique()

    stored, created = await add_source_secret(
        resources.pool, BOX, tenant_id=tenant, kind=SourceKind.SHOPIFY, secret=secret
    )

    assert not created
    assert (stored.tenant_id, stored.kind, stored.name) == (tenant, SourceKind.SHOPIFY, "")
    assert stored.fingerprint == fingerprint(secret) and len(stored.fingerprint) == 8
    async with resources.pool.connection() as conn:
        row = await (
            await conn.execute(
                "SELECT sealed_secret FROM webhook_sources WHERE source_id = %s",
                (stored.source_id,),
            )
        ).fetchone()
    assert row is not None and secret.encode() not in bytes(row["sealed_secret"])
    assert await read_source_secrets(
        resources.pool, BOX, tenant_id=tenant, kind=SourceKind.SHOPIFY
    ) == (secret,)
    assert (
        await read_source_secrets(resources.pool, BOX, tenant_id=tenant, kind=SourceKind.STRIPE)
        == ()
    )


async def test_rotation_keeps_both_secrets_until_one_is_removed(resources: Resources) -> None:
    tenant = await new_tenant(resources.pool)
    old, new = unique("whsec"), unique("whsec")
    first, _ = await add_source_secret(
        resources.pool, BOX, tenant_id=tenant, kind=SourceKind.STRIPE, secret=old
    )
    await add_source_secret(
        resources.pool, BOX, tenant_id=tenant, kind=SourceKind.STRIPE, secret=new
    )

    both = await read_source_secrets(resources.pool, BOX, tenant_id=tenant, kind=SourceKind.STRIPE)
    assert sorted(both) == sorted([old, new])

    assert await remove_source_secret(resources.pool, tenant_id=tenant, source_id=first.source_id)
    assert await read_source_secrets(
        resources.pool, BOX, tenant_id=tenant, kind=SourceKind.STRIPE
    ) == (new,)


async def test_standard_sources_are_told_apart_by_name(resources: Resources) -> None:
    tenant = await new_tenant(resources.pool)
    await add_source_secret(
        resources.pool,
        BOX,
        tenant_id=tenant,
        kind=SourceKind.STANDARD,
        name="crm",
        secret=STANDARD_SECRET,
    )

    read = await read_source_secrets(
        resources.pool, BOX, tenant_id=tenant, kind=SourceKind.STANDARD, name="crm"
    )
    assert read == (STANDARD_SECRET,)
    assert (
        await read_source_secrets(
            resources.pool, BOX, tenant_id=tenant, kind=SourceKind.STANDARD, name="erp"
        )
        == ()
    )


async def test_a_secret_verifies_one_source_only(resources: Resources) -> None:
    """Signatures do not cover the URL: a shared secret would let a delivery for one tenant
    be posted to the other's URL and pass."""
    tenant_a, tenant_b = await new_tenant(resources.pool), await new_tenant(resources.pool)
    secret = unique()
    await add_source_secret(
        resources.pool, BOX, tenant_id=tenant_a, kind=SourceKind.SHOPIFY, secret=secret
    )

    with pytest.raises(SecretInUse, match=f"tenant '{tenant_a}'"):
        await add_source_secret(
            resources.pool, BOX, tenant_id=tenant_b, kind=SourceKind.SHOPIFY, secret=secret
        )
    with pytest.raises(SecretInUse, match="already stored"):
        await add_source_secret(
            resources.pool, BOX, tenant_id=tenant_a, kind=SourceKind.SHOPIFY, secret=secret
        )
    settings_secret = unique()
    with pytest.raises(SecretInUse, match="default tenant"):
        await add_source_secret(
            resources.pool,
            BOX,
            tenant_id=tenant_b,
            kind=SourceKind.SHOPIFY,
            secret=settings_secret,
            settings_secrets=["other", settings_secret],
        )
    assert await list_source_secrets(resources.pool, tenant_id=tenant_b) == []
    # Another platform signs differently: the same text is no shortcut there.
    await add_source_secret(
        resources.pool, BOX, tenant_id=tenant_b, kind=SourceKind.STRIPE, secret=secret
    )


async def test_unknown_tenants_are_refused_unless_creation_is_asked_for(
    resources: Resources,
) -> None:
    tenant = f"new-shop-{uuid.uuid4().hex[:6]}"

    with pytest.raises(UnknownTenantError, match=tenant):
        await add_source_secret(
            resources.pool, BOX, tenant_id=tenant, kind=SourceKind.SHOPIFY, secret=unique()
        )
    with pytest.raises(UnknownTenantError):
        await list_source_secrets(resources.pool, tenant_id=tenant)

    _, created = await add_source_secret(
        resources.pool,
        BOX,
        tenant_id=tenant,
        kind=SourceKind.SHOPIFY,
        secret=unique(),
        create_tenant=True,
    )
    _, again = await add_source_secret(
        resources.pool,
        BOX,
        tenant_id=tenant,
        kind=SourceKind.STRIPE,
        secret=unique(),
        create_tenant=True,
    )
    assert (created, again) == (True, False)
    assert [s.kind for s in await list_source_secrets(resources.pool, tenant_id=tenant)] == [
        SourceKind.SHOPIFY,
        SourceKind.STRIPE,
    ]


@pytest.mark.parametrize(
    ("tenant", "kind", "name", "secret", "message"),
    [
        ("default", SourceKind.SHOPIFY, "", "s3cret", "settings"),
        ("a/b", SourceKind.SHOPIFY, "", "s3cret", "webhook URL"),
        ("..", SourceKind.SHOPIFY, "", "s3cret", "webhook URL"),
        ("shop", SourceKind.STANDARD, "", STANDARD_SECRET, "needs a name"),
        ("shop", SourceKind.STRIPE, "crm", "s3cret", "has no name"),
        ("shop", SourceKind.SHOPIFY, "", "", "empty"),
        ("shop", SourceKind.SHOPIFY, "", "two words", "whitespace"),
    ],
)
async def test_sources_no_url_or_verifier_could_use_are_refused(
    resources: Resources, tenant: str, kind: SourceKind, name: str, secret: str, message: str
) -> None:
    with pytest.raises(InvalidSource, match=message):
        await add_source_secret(
            resources.pool,
            BOX,
            tenant_id=tenant,
            kind=kind,
            name=name,
            secret=secret,
            create_tenant=True,
        )


async def test_remove_and_list_stay_inside_the_tenant(resources: Resources) -> None:
    tenant_a, tenant_b = await new_tenant(resources.pool), await new_tenant(resources.pool)
    secret = unique()
    stored, _ = await add_source_secret(
        resources.pool, BOX, tenant_id=tenant_a, kind=SourceKind.SHOPIFY, secret=secret
    )

    assert await list_source_secrets(resources.pool, tenant_id=tenant_b) == []
    assert (
        await remove_source_secret(resources.pool, tenant_id=tenant_b, source_id=stored.source_id)
        is None
    )
    listed = await list_source_secrets(resources.pool, tenant_id=tenant_a)
    assert [s.source_id for s in listed] == [stored.source_id]
    assert all(secret not in str(value) for value in dataclasses.astuple(listed[0]))
    assert {field.name for field in dataclasses.fields(SourceSecret)}.isdisjoint(
        {"secret", "sealed_secret"}
    )


async def test_a_secret_sealed_with_another_key_is_an_error_not_an_absence(
    resources: Resources,
) -> None:
    tenant = await new_tenant(resources.pool)
    await add_source_secret(
        resources.pool, BOX, tenant_id=tenant, kind=SourceKind.SHOPIFY, secret=unique()
    )
    other_box = SecretBox(Fernet.generate_key())

    with pytest.raises(SecretBoxError):
        await read_source_secrets(
            resources.pool, other_box, tenant_id=tenant, kind=SourceKind.SHOPIFY
        )
    cache = SourceSecrets(lambda: other_box)
    with pytest.raises(SecretBoxError):
        await cache.get(resources.pool, tenant_id=tenant, kind=SourceKind.SHOPIFY)
    # Nor can an add check that the secret is not already stored, so it fails closed.
    with pytest.raises(SecretBoxError):
        await add_source_secret(
            resources.pool, other_box, tenant_id=tenant, kind=SourceKind.SHOPIFY, secret=unique()
        )


async def test_the_cache_forgets_a_removed_secret_within_its_bound(resources: Resources) -> None:
    tenant = await new_tenant(resources.pool)
    secret = unique()
    stored, _ = await add_source_secret(
        resources.pool, BOX, tenant_id=tenant, kind=SourceKind.SHOPIFY, secret=secret
    )
    clock = Clock()
    cache = SourceSecrets(lambda: BOX, clock=clock)
    assert cache.ttl_s == CACHE_TTL_S <= 5.0

    assert await cache.get(resources.pool, tenant_id=tenant, kind=SourceKind.SHOPIFY) == (secret,)
    await remove_source_secret(resources.pool, tenant_id=tenant, source_id=stored.source_id)
    clock.now += CACHE_TTL_S - 0.01
    still = await cache.get(resources.pool, tenant_id=tenant, kind=SourceKind.SHOPIFY)
    assert still == (secret,)  # the documented staleness, never more
    clock.now += 0.01
    assert await cache.get(resources.pool, tenant_id=tenant, kind=SourceKind.SHOPIFY) == ()


async def test_the_cache_remembers_absences_for_the_same_bound(resources: Resources) -> None:
    tenant = await new_tenant(resources.pool)
    clock = Clock()
    cache = SourceSecrets(lambda: BOX, clock=clock)
    assert await cache.get(resources.pool, tenant_id=tenant, kind=SourceKind.STRIPE) == ()

    secret = unique("whsec")
    await add_source_secret(
        resources.pool, BOX, tenant_id=tenant, kind=SourceKind.STRIPE, secret=secret
    )
    assert await cache.get(resources.pool, tenant_id=tenant, kind=SourceKind.STRIPE) == ()
    clock.now += CACHE_TTL_S
    assert await cache.get(resources.pool, tenant_id=tenant, kind=SourceKind.STRIPE) == (secret,)


async def test_the_cache_holds_a_bounded_number_of_sources(resources: Resources) -> None:
    clock = Clock()
    cache = SourceSecrets(lambda: BOX, clock=clock, max_entries=3)

    for number in range(10):
        await cache.get(resources.pool, tenant_id=f"nobody-{number}", kind=SourceKind.SHOPIFY)

    assert "cached=3" in repr(cache)


def test_a_shop_tenant_with_a_long_host_can_be_named_in_a_url() -> None:
    """Saleor shops' tenants are `saleor-<host>[-<port>][-<hash>]`: hosts run long."""
    check_source(f"saleor-{'shop-' * 45}example-com-8443", SourceKind.STRIPE, "", "whsec_x")
    with pytest.raises(InvalidSource, match="up to 255"):
        check_source("s" * 256, SourceKind.STRIPE, "", "whsec_x")
