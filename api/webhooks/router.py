"""`POST /webhooks/{saleor,shopify,stripe,standard/{source}}`: verify on the raw bytes first."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from functools import partial
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
from api.webhooks.intake import Normalizer, ingest
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

OPERATOR_DISABLED = (
    "an operator disabled this Saleor shop's link: its deliveries are refused until it is "
    "enabled again (`opsgraph saleor shops enable`); an uninstall is still recorded"
)


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
    elif sender.link is not None and not sender.link.enabled:
        logger.info("saleor: delivery for the disabled shop %s refused", sender.tenant_id)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=OPERATOR_DISABLED)
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
    check = partial(check_shopify, secrets=config.shopify_secrets)
    return await accept(request, resources, config, source="shopify", label="shopify", check=check)


@router.post("/stripe", responses=RESPONSES)
async def receive_stripe(
    request: Request, resources: ResourcesDep, config: ConfigDep
) -> JSONResponse:
    """Stripe: `t=...,v1=...` within the tolerance, under any configured secret."""
    if not config.stripe_secrets:
        raise NOT_ENABLED
    check = partial(check_stripe, secrets=config.stripe_secrets, config=config)
    return await accept(request, resources, config, source="stripe", label="stripe", check=check)


@router.post("/standard/{source}", responses=RESPONSES)
async def receive_standard(
    source: str, request: Request, resources: ResourcesDep, config: ConfigDep
) -> JSONResponse:
    """Any Standard Webhooks sender, with its own `source=whsec_...` secret."""
    secret = config.standard_secrets.get(source)
    if secret is None:
        raise NOT_ENABLED
    check = partial(check_standard, source=source, secrets=(secret,))
    return await accept(request, resources, config, source=source, label=source, check=check)


Check = Callable[[bytes, Mapping[str, str]], Normalizer]
"""Verifies a delivery's raw body and headers; how to normalize its parsed body."""


async def accept(
    request: Request,
    resources: Resources,
    config: WebhookConfig,
    *,
    source: str,
    label: str,
    check: Check,
) -> JSONResponse:
    """Read the body, `check` it (under the deployment's or a tenant's secrets) and store it
    in `config.tenant_id`; `label` names the sender in the log."""
    raw = await read_body(request, config.max_body_bytes)
    try:
        normalize = check(raw, request.headers)
    except (SignatureError, SourceNotEnabled) as exc:
        raise refused(label, exc) from None
    return await ingest(
        resources, config, source=source, raw=raw, headers=request.headers, normalize=normalize
    )


def check_shopify(raw: bytes, headers: Mapping[str, str], *, secrets: Sequence[str]) -> Normalizer:
    verify_shopify(raw, headers, secrets=secrets)
    topic = require_header(headers, "X-Shopify-Topic")
    return partial(normalize_shopify, topic, raw)


def check_stripe(
    raw: bytes, headers: Mapping[str, str], *, secrets: Sequence[str], config: WebhookConfig
) -> Normalizer:
    verify_stripe(raw, headers, secrets=secrets, tolerance_s=config.stripe_tolerance_s)
    return normalize_stripe


def check_standard(
    raw: bytes, headers: Mapping[str, str], *, source: str, secrets: Sequence[str]
) -> Normalizer:
    """Any of `secrets` may sign (a tenant's rotation keeps two)."""
    verify_standard_any(raw, headers, secrets=secrets)
    webhook_id = require_header(headers, "webhook-id")
    timestamp = require_header(headers, "webhook-timestamp")
    return partial(normalize_standard, source, webhook_id, timestamp)
