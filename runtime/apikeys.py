"""API keys: shown once at creation, stored only as a SHA-256 hash, bound to a tenant and role."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from runtime.database import Pool

KEY_PREFIX = "og"


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    OPERATOR = "operator"


class ApiKey(BaseModel):
    key_id: uuid.UUID
    tenant_id: str
    name: str
    role: Role


class KeyRecord(BaseModel):
    """What may be shown about a key: never the key itself, nor its hash."""

    key_id: uuid.UUID
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None


class UnknownTenantError(LookupError):
    pass


def hash_key(key: str) -> bytes:
    """Keys carry 256 random bits, so a plain SHA-256 is a safe one-way index."""
    return hashlib.sha256(key.encode("utf-8")).digest()


async def create_key(pool: Pool, *, tenant_id: str, name: str, role: Role) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is not stored anywhere."""
    key_id = uuid.uuid4()
    secret = f"{KEY_PREFIX}_{secrets.token_urlsafe(32)}"
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT 1 FROM tenants WHERE tenant_id = %s", (tenant_id,))
        if await cursor.fetchone() is None:
            raise UnknownTenantError(f"tenant {tenant_id!r} does not exist")
        await conn.execute(
            """
            INSERT INTO api_keys (tenant_id, key_id, name, role, key_hash, key_prefix)
            VALUES (%s, %s, %s, %s, %s, %s)
            """,
            (tenant_id, key_id, name, role.value, hash_key(secret), secret[:10]),
        )
    return ApiKey(key_id=key_id, tenant_id=tenant_id, name=name, role=role), secret


async def find_key(pool: Pool, secret: str) -> ApiKey | None:
    """The live key with this secret, or None."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            """
            SELECT key_id, tenant_id, name, role FROM api_keys
             WHERE key_hash = %s AND revoked_at IS NULL
            """,
            (hash_key(secret),),
        )
        row = await cursor.fetchone()
    return ApiKey.model_validate(row) if row else None


async def list_keys(pool: Pool, *, tenant_id: str) -> list[KeyRecord]:
    """The tenant's keys, revoked ones included, oldest first."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            """
            SELECT key_id, name, role, created_at, revoked_at FROM api_keys
             WHERE tenant_id = %s ORDER BY created_at, key_id
            """,
            (tenant_id,),
        )
        rows = await cursor.fetchall()
    return [KeyRecord.model_validate(row) for row in rows]


async def revoke_key(pool: Pool, *, tenant_id: str, key_id: uuid.UUID) -> KeyRecord | None:
    """Revoke a key of the tenant and end its inbox sessions; None if the tenant has no such key.

    Revoking twice keeps the first time. Lookups check `revoked_at` on every request (there is
    no cache), so the key is refused from the moment this commits.
    """
    async with pool.connection() as conn, conn.transaction():
        cursor = await conn.execute(
            """
            UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
             WHERE tenant_id = %s AND key_id = %s
            RETURNING key_id, name, role, created_at, revoked_at
            """,
            (tenant_id, key_id),
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        await conn.execute("DELETE FROM inbox_sessions WHERE key_id = %s", (key_id,))
    return KeyRecord.model_validate(row)
