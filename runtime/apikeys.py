"""API keys: shown once at creation, stored only as a SHA-256 hash, bound to a tenant and role."""

from __future__ import annotations

import hashlib
import secrets
import uuid
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
