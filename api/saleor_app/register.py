"""The install handshake: Saleor posts an app token; opsgraph checks the shop and links it.

The protocol is the Saleor App SDK's register handler: `POST` with the shop's API URL in the
`saleor-api-url` header and `{"auth_token": ...}` as the body; the app checks the URL against
its allowlist, asks the shop `{ app { id } }` with the token, fetches the shop's JWKS, stores
what it learned and answers `{"success": true}`. Here the allowlist is required (empty
refuses every install), the JWKS comes from the allowlisted origin, and the shop becomes a
tenant of its own.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from api.saleor_app.audit import audit_shop
from api.saleor_app.config import SaleorAppConfig
from api.webhooks.errors import KeysUnavailable
from api.webhooks.saleor import rsa_keys
from runtime.saleor_links import (
    Conn,
    SaleorLink,
    SaleorLinkConflict,
    jwks_url_for,
    normalize_api_url,
    save_saleor_link,
    tenant_id_for,
)

APP_ID_QUERY = "query OpsgraphAppId { app { id } }"


class RegisterRefused(Exception):
    """Why an install was refused: an HTTP status, the SDK's error code, a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def allowed_api_url(config: SaleorAppConfig, header: str | None) -> str:
    """The shop's API URL if it may install; checked before the body is read."""
    if not header or not header.strip():
        raise RegisterRefused(400, "MISSING_SALEOR_API_URL", "missing saleor-api-url header")
    if not config.allowed_api_urls:
        raise RegisterRefused(
            403,
            "SALEOR_URL_PROHIBITED",
            "no Saleor shop may install this app: set OPSGRAPH_SALEOR_ALLOWED_API_URLS",
        )
    api_url = normalize_api_url(header)
    if api_url not in config.allowed_api_urls:
        raise RegisterRefused(
            403,
            "SALEOR_URL_PROHIBITED",
            f"the Saleor API URL {api_url[:200]!r} is not on OPSGRAPH_SALEOR_ALLOWED_API_URLS "
            "(it must match one entry exactly, trailing /graphql/ included)",
        )
    return api_url


def auth_token(body: bytes) -> str:
    try:
        document: Any = json.loads(body)
    except ValueError:
        raise RegisterRefused(400, "INVALID_BODY", "the body is not JSON") from None
    token = document.get("auth_token") if isinstance(document, dict) else None
    if not isinstance(token, str) or not token.strip():
        raise RegisterRefused(400, "MISSING_AUTH_TOKEN", "the body has no auth_token")
    return token.strip()


async def fetch_jwks(client: httpx.AsyncClient, jwks_url: str) -> None:
    """The shop must publish at least one usable RSA signing key at its origin."""
    try:
        response = await client.get(jwks_url)
        response.raise_for_status()
        keys = rsa_keys(response.json())
    except (httpx.HTTPError, ValueError, KeysUnavailable):
        keys = {}
    if not keys:
        raise RegisterRefused(
            401, "JWKS_NOT_AVAILABLE", f"cannot fetch usable signing keys from {jwks_url}"
        )


async def fetch_app_id(client: httpx.AsyncClient, api_url: str, token: str) -> str:
    """Ask the shop who the token belongs to; a token it does not know gets no app id.
    The message tells an unreachable shop from one that refused the token."""
    try:
        response = await client.post(
            api_url,
            json={"query": APP_ID_QUERY},
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError as exc:
        raise RegisterRefused(
            401,
            "UNKNOWN_APP_ID",
            f"could not reach the shop at {api_url} to confirm the app token "
            f"({type(exc).__name__})",
        ) from None
    try:
        data = response.json().get("data") if response.status_code == 200 else None
    except (ValueError, AttributeError):
        data = None
    app = data.get("app") if isinstance(data, dict) else None
    app_id = app.get("id") if isinstance(app, dict) else None
    if not isinstance(app_id, str) or not app_id:
        raise RegisterRefused(
            401,
            "UNKNOWN_APP_ID",
            f"the shop at {api_url} did not confirm the app token (HTTP {response.status_code})",
        )
    return app_id


async def register_shop(
    conn: Conn, config: SaleorAppConfig, *, api_url: str, token: str
) -> SaleorLink:
    """Verify the shop (its app id for the token, its JWKS) and create or update its tenant."""
    jwks_url = jwks_url_for(api_url)
    async with config.client() as client:
        app_id = await fetch_app_id(client, api_url, token)
        await fetch_jwks(client, jwks_url)
    try:
        async with conn.transaction():
            link = await save_saleor_link(
                conn,
                tenant_id=tenant_id_for(api_url),
                api_url=api_url,
                jwks_url=jwks_url,
                app_id=app_id,
                app_token=token,
                box=config.box,
            )
            await audit_shop(conn, link, "saleor_link.installed")
    except SaleorLinkConflict as exc:
        raise RegisterRefused(409, "TENANT_CONFLICT", str(exc)) from None
    return link
