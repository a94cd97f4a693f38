"""`POST /webhooks/{saleor,shopify,stripe,standard/{source}}`: verify on the raw bytes first."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse

from api.deps import ResourcesDep
from api.saleor_app.manifest import UNINSTALL_EVENT
from api.saleor_app.uninstall import uninstall
from api.webhooks.body import read_body
from api.webhooks.claims import require_fresh
from api.webhooks.config import WebhookConfig
from api.webhooks.errors import KeysUnavailable, SignatureError, SourceNotEnabled, require_header
from api.webhooks.intake import ingest
from api.webhooks.normalize import (
    Normalized,
    normalize_saleor,
    normalize_shopify,
    normalize_standard,
    normalize_stripe,
)
from api.webhooks.saleor import SaleorShops, verify_saleor
from api.webhooks.shopify import verify_shopify
from api.webhooks.standard import verify_standard_any
from api.webhooks.stripe import verify_stripe
from runtime.resources import Resources

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

NOT_ENABLED = HTTPException(status.HTTP_404_NOT_FOUND, detail="source not enabled")
RESPONSES: dict[int | str, dict[str, str]] = {
    200: {"description": "duplicate delivery, or an event type we ignore"},
    202: {"description": "stored and queued"},
    400: {
        "description": "authentic but malformed, contradicting its event name, or issued "
        "outside the replay window (stored as rejected)"
    },
    401: {"description": "bad or missing signature (nothing stored)"},
    404: {"description": "source not enabled"},
    413: {"description": "body too large"},
    503: {"description": "could not store; retry"},
}


async def get_config(request: Request) -> WebhookConfig:
    config: WebhookConfig = request.app.state.webhooks
    return config


ConfigDep = Annotated[WebhookConfig, Depends(get_config)]


def fresh(normalized: Normalized, config: WebhookConfig) -> Normalized:
    """The delivery, if the time its body was issued lies within the replay window."""
    require_fresh(normalized.sent_at, max_age_s=config.max_age_s, now=None)
    return normalized


def refused(source: str, exc: Exception) -> HTTPException:
    if isinstance(exc, SourceNotEnabled):
        return NOT_ENABLED
    if isinstance(exc, KeysUnavailable):
        logger.warning("%s: signing keys unavailable: %s", source, exc)
        return HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc), headers={"Retry-After": "10"}
        )
    logger.info("%s: signature refused: %s", source, exc)
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=f"invalid signature: {exc}")


@router.post("/saleor", responses=RESPONSES)
async def receive_saleor(
    request: Request, resources: ResourcesDep, config: ConfigDep
) -> JSONResponse:
    """Saleor: the shop that installed the app (by `Saleor-Api-Url`) verified by its own
    JWKS only; otherwise the default tenant's configured JWKS or legacy HMAC."""
    shops: SaleorShops = request.app.state.saleor_shops
    try:
        sender = await shops.sender(
            resources.pool,
            request.headers.get("Saleor-Api-Url"),
            default_tenant=config.tenant_id,
            default_jwks=config.saleor_jwks,
            default_hmac_secret=config.saleor_hmac_secret,
        )
    except (SignatureError, KeysUnavailable, SourceNotEnabled) as exc:
        raise refused("saleor", exc) from None
    raw = await read_body(request, config.max_body_bytes)
    try:
        await verify_saleor(raw, request.headers, jwks=sender.jwks, hmac_secret=sender.hmac_secret)
        event_name = require_header(request.headers, "Saleor-Event")
    except (SignatureError, KeysUnavailable, SourceNotEnabled) as exc:
        raise refused("saleor", exc) from None
    if sender.link is not None and event_name.lower() == UNINSTALL_EVENT:
        await uninstall(resources.pool, shops, sender.link, raw, max_age_s=config.max_age_s)
    return await ingest(
        resources,
        dataclasses.replace(config, tenant_id=sender.tenant_id),
        source="saleor",
        raw=raw,
        headers=request.headers,
        normalize=lambda body: fresh(normalize_saleor(event_name, raw, body), config),
    )


@router.post("/shopify", responses=RESPONSES)
async def receive_shopify(
    request: Request, resources: ResourcesDep, config: ConfigDep
) -> JSONResponse:
    """Shopify: base64 HMAC-SHA256 under any configured secret."""
    if not config.shopify_secrets:
        raise NOT_ENABLED
    return await accept_shopify(
        request, resources, config, secrets=config.shopify_secrets, label="shopify"
    )


@router.post("/stripe", responses=RESPONSES)
async def receive_stripe(
    request: Request, resources: ResourcesDep, config: ConfigDep
) -> JSONResponse:
    """Stripe: `t=...,v1=...` within the tolerance, under any configured secret."""
    if not config.stripe_secrets:
        raise NOT_ENABLED
    return await accept_stripe(
        request, resources, config, secrets=config.stripe_secrets, label="stripe"
    )


@router.post("/standard/{source}", responses=RESPONSES)
async def receive_standard(
    source: str, request: Request, resources: ResourcesDep, config: ConfigDep
) -> JSONResponse:
    """Any Standard Webhooks sender, with its own `source=whsec_...` secret."""
    secret = config.standard_secrets.get(source)
    if secret is None:
        raise NOT_ENABLED
    return await accept_standard(
        request, resources, config, source=source, secrets=(secret,), label=source
    )


async def accept_shopify(
    request: Request,
    resources: Resources,
    config: WebhookConfig,
    *,
    secrets: Sequence[str],
    label: str,
) -> JSONResponse:
    """Read, verify under `secrets` (the deployment's or a tenant's), store in
    `config.tenant_id`; `label` names the sender in the log."""
    raw = await read_body(request, config.max_body_bytes)
    try:
        verify_shopify(raw, request.headers, secrets=secrets)
        topic = require_header(request.headers, "X-Shopify-Topic")
    except (SignatureError, SourceNotEnabled) as exc:
        raise refused(label, exc) from None
    return await ingest(
        resources,
        config,
        source="shopify",
        raw=raw,
        headers=request.headers,
        normalize=lambda body: normalize_shopify(topic, raw, body),
    )


async def accept_stripe(
    request: Request,
    resources: Resources,
    config: WebhookConfig,
    *,
    secrets: Sequence[str],
    label: str,
) -> JSONResponse:
    """As `accept_shopify`, for Stripe."""
    raw = await read_body(request, config.max_body_bytes)
    try:
        verify_stripe(raw, request.headers, secrets=secrets, tolerance_s=config.stripe_tolerance_s)
    except (SignatureError, SourceNotEnabled) as exc:
        raise refused(label, exc) from None
    return await ingest(
        resources,
        config,
        source="stripe",
        raw=raw,
        headers=request.headers,
        normalize=normalize_stripe,
    )


async def accept_standard(
    request: Request,
    resources: Resources,
    config: WebhookConfig,
    *,
    source: str,
    secrets: Sequence[str],
    label: str,
) -> JSONResponse:
    """As `accept_shopify`, for a Standard Webhooks sender; any of `secrets` may sign."""
    raw = await read_body(request, config.max_body_bytes)
    try:
        verify_standard_any(raw, request.headers, secrets=secrets)
        webhook_id = require_header(request.headers, "webhook-id")
        timestamp = require_header(request.headers, "webhook-timestamp")
    except (SignatureError, SourceNotEnabled) as exc:
        raise refused(label, exc) from None
    return await ingest(
        resources,
        config,
        source=source,
        raw=raw,
        headers=request.headers,
        normalize=lambda body: normalize_standard(source, webhook_id, timestamp, body),
    )
