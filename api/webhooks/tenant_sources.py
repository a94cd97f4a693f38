"""`POST /webhooks/{shopify,stripe,standard/{source}}/t/{tenant}`: other tenants' senders.

The tenant in the path only chooses whose secrets verify the delivery; it decides nothing
else. A delivery that verifies lands in that tenant, and only a holder of that tenant's
secret can make one verify (a secret is stored for one source only: `runtime.webhook_sources`).
A tenant with no secret for the source, or no such tenant, answers exactly as a source the
default tenant has not configured: 404 before the body is read.
"""

from __future__ import annotations

import dataclasses
import logging
from functools import partial
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import JSONResponse

from api.deps import ResourcesDep
from api.webhooks.config import WebhookConfig
from api.webhooks.router import (
    NOT_ENABLED,
    RESPONSES,
    ConfigDep,
    accept,
    check_shopify,
    check_standard,
    check_stripe,
)
from runtime.secretbox import SecretBoxError
from runtime.webhook_sources import TENANT_ID_PATTERN, SourceKind

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

TenantPath = Annotated[
    str,
    Path(
        pattern=TENANT_ID_PATTERN,
        description="The tenant whose secrets verify the delivery and who receives it.",
    ),
]
SourcePath = Annotated[str, Path(max_length=64, description="The tenant's source name.")]


def tenant_webhook_path(kind: SourceKind, tenant_id: str, name: str = "") -> str:
    """The URL path a tenant's sender posts to (what `opsgraph sources` prints)."""
    if kind is SourceKind.STANDARD:
        return f"/webhooks/standard/{name}/t/{tenant_id}"
    return f"/webhooks/{kind.value}/t/{tenant_id}"


async def tenant_secrets(
    resources: ResourcesDep,
    config: WebhookConfig,
    *,
    tenant_id: str,
    kind: SourceKind,
    name: str = "",
) -> tuple[str, ...]:
    """The tenant's secrets for this source, cached at most `CACHE_TTL_S`; 404 if none."""
    if config.tenant_sources is None:
        raise NOT_ENABLED
    try:
        secrets = await config.tenant_sources.get(
            resources.pool, tenant_id=tenant_id, kind=kind, name=name
        )
    except SecretBoxError as exc:
        logger.error("%s secrets of tenant %s cannot be opened: %s", kind.value, tenant_id, exc)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="webhook secrets cannot be read; retry later",
            headers={"Retry-After": "10"},
        ) from None
    if not secrets:
        raise NOT_ENABLED
    return secrets


def for_tenant(config: WebhookConfig, tenant_id: str) -> WebhookConfig:
    return dataclasses.replace(config, tenant_id=tenant_id)


@router.post("/shopify/t/{tenant}", responses=RESPONSES)
async def receive_tenant_shopify(
    tenant: TenantPath, request: Request, resources: ResourcesDep, config: ConfigDep
) -> JSONResponse:
    """Shopify, for one tenant: base64 HMAC-SHA256 under any of the tenant's secrets."""
    secrets = await tenant_secrets(resources, config, tenant_id=tenant, kind=SourceKind.SHOPIFY)
    return await accept(
        request,
        resources,
        for_tenant(config, tenant),
        source="shopify",
        label=f"shopify/t/{tenant}",
        check=partial(check_shopify, secrets=secrets),
    )


@router.post("/stripe/t/{tenant}", responses=RESPONSES)
async def receive_tenant_stripe(
    tenant: TenantPath, request: Request, resources: ResourcesDep, config: ConfigDep
) -> JSONResponse:
    """Stripe, for one tenant: `t=...,v1=...` within the tolerance, any of its secrets."""
    secrets = await tenant_secrets(resources, config, tenant_id=tenant, kind=SourceKind.STRIPE)
    return await accept(
        request,
        resources,
        for_tenant(config, tenant),
        source="stripe",
        label=f"stripe/t/{tenant}",
        check=partial(check_stripe, secrets=secrets, config=config),
    )


@router.post("/standard/{source}/t/{tenant}", responses=RESPONSES)
async def receive_tenant_standard(
    source: SourcePath,
    tenant: TenantPath,
    request: Request,
    resources: ResourcesDep,
    config: ConfigDep,
) -> JSONResponse:
    """A tenant's Standard Webhooks sender, under any of that source's secrets."""
    secrets = await tenant_secrets(
        resources, config, tenant_id=tenant, kind=SourceKind.STANDARD, name=source
    )
    return await accept(
        request,
        resources,
        for_tenant(config, tenant),
        source=source,
        label=f"{source}/t/{tenant}",
        check=partial(check_standard, source=source, secrets=secrets),
    )
