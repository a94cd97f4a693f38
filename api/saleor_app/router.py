"""`GET /saleor/manifest` and `POST /saleor/register`: installing opsgraph in a Saleor shop."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse

from api.deps import ResourcesDep
from api.errors import error_answer
from api.limits import read_body
from api.saleor_app.config import SaleorAppConfig
from api.saleor_app.manifest import build_manifest
from api.saleor_app.register import RegisterRefused, allowed_api_url, auth_token, register_shop
from api.webhooks.saleor import SaleorShops

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/saleor", tags=["saleor app"])

REGISTER_BODY_LIMIT = 16_384
MANIFEST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the Saleor App manifest, every URL absolute"},
    404: {"description": "the Saleor App is not enabled: OPSGRAPH_PUBLIC_URL is not set"},
}
REGISTER_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": '`{"success": true}`: the shop is linked to its tenant'},
    400: {"description": "no saleor-api-url header, or no auth_token in the body"},
    401: {"description": "the shop did not confirm the token, or has no usable JWKS"},
    403: {"description": "this Saleor API URL is not on OPSGRAPH_SALEOR_ALLOWED_API_URLS"},
    409: {"description": "the shop's tenant is linked to another API URL"},
    413: {"description": "body too large"},
    503: {"description": "database unavailable: nothing was stored, retry"},
}


async def get_app_config(request: Request) -> SaleorAppConfig:
    config: SaleorAppConfig = request.app.state.saleor_app
    return config


async def get_shops(request: Request) -> SaleorShops:
    shops: SaleorShops = request.app.state.saleor_shops
    return shops


AppConfigDep = Annotated[SaleorAppConfig, Depends(get_app_config)]
ShopsDep = Annotated[SaleorShops, Depends(get_shops)]


@router.get("/manifest", responses=MANIFEST_RESPONSES)
async def read_manifest(config: AppConfigDep) -> JSONResponse:
    """The manifest the Saleor dashboard installs opsgraph from."""
    if config.public_url is None:
        return error_answer(
            status.HTTP_404_NOT_FOUND,
            "the Saleor App is not enabled: set OPSGRAPH_PUBLIC_URL to the https:// "
            "address Saleor reaches this service at",
        )
    return JSONResponse(build_manifest(config.public_url))


@router.post("/register", responses=REGISTER_RESPONSES)
async def register(
    request: Request, resources: ResourcesDep, config: AppConfigDep, shops: ShopsDep
) -> JSONResponse:
    """Saleor's install call: link the shop (a tenant of its own) with its app token."""
    try:
        api_url = allowed_api_url(config, request.headers.get("saleor-api-url"))
        token = auth_token(await read_body(request, REGISTER_BODY_LIMIT))
        async with resources.pool.connection() as conn:
            link = await register_shop(conn, config, api_url=api_url, token=token)
    except RegisterRefused as refusal:
        logger.info("saleor register refused (%s): %s", refusal.code, refusal.message)
        return error_answer(
            refusal.status,
            refusal.message,
            success=False,
            error={"code": refusal.code, "message": refusal.message},
        )
    shops.forget(link.tenant_id)
    logger.info("saleor shop %s linked to tenant %s", link.api_url, link.tenant_id)
    return JSONResponse({"success": True})
