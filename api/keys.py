"""API keys for admins: list, create (the key is shown once), revoke; all within the tenant."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field, field_validator

from api.deps import AdminKey, ResourcesDep
from api.errors import error_responses
from api.limits import JsonBody
from hitl.audit import append_audit
from runtime.apikeys import ApiKey, KeyRecord, Role, create_key, list_keys, revoke_key

router = APIRouter(prefix="/keys", tags=["keys"])


class KeyIn(BaseModel):
    """A new key: who or what holds it, and what it may do."""

    name: str = Field(min_length=1, max_length=200)
    role: Role

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        value = value.strip()
        if not value or not value.isprintable():  # also refuses NUL and lone surrogates
            raise ValueError("the name must be printable text")
        return value


class KeyCreated(BaseModel):
    """The new key; `key` is shown here once and never again (only its hash is stored)."""

    key_id: uuid.UUID
    name: str
    role: Role
    key: str


KeyBody = Annotated[KeyIn, Depends(JsonBody(KeyIn))]


async def record(
    resources: ResourcesDep, request: Request, admin: ApiKey, action: str, key_id: uuid.UUID
) -> None:
    async with resources.pool.connection() as conn:
        await append_audit(
            conn,
            tenant_id=admin.tenant_id,
            actor=f"{admin.name} ({admin.key_id})",
            action=action,
            subject=f"api_key:{key_id}",
            details={},
            address=request.client.host if request.client else None,
        )


@router.get("", response_model=list[KeyRecord])
async def read_keys(admin: AdminKey, resources: ResourcesDep) -> list[KeyRecord]:
    """The tenant's keys, revoked ones included: id, name, role, created, revoked."""
    return await list_keys(resources.pool, tenant_id=admin.tenant_id)


@router.post(
    "",
    response_model=KeyCreated,
    status_code=status.HTTP_201_CREATED,
)
async def create_api_key(
    admin: AdminKey, body: KeyBody, resources: ResourcesDep, request: Request
) -> KeyCreated:
    """Create a key in the caller's tenant; the answer is the only place the key appears.

    The admin key is checked before the body is read.
    """
    created, secret = await create_key(
        resources.pool, tenant_id=admin.tenant_id, name=body.name, role=body.role
    )
    await record(resources, request, admin, "api_key.created", created.key_id)
    return KeyCreated(key_id=created.key_id, name=created.name, role=created.role, key=secret)


@router.post(
    "/{key_id}/revoke",
    response_model=KeyRecord,
    responses=error_responses(404),
)
async def revoke_api_key(
    key_id: uuid.UUID, admin: AdminKey, resources: ResourcesDep, request: Request
) -> KeyRecord:
    """Revoke a key: from now on it answers 401 everywhere and its inbox sessions are ended.

    Revoking a revoked key changes nothing and answers the same.
    """
    revoked = await revoke_key(resources.pool, tenant_id=admin.tenant_id, key_id=key_id)
    if revoked is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no API key {key_id}")
    await record(resources, request, admin, "api_key.revoked", key_id)
    return revoked
