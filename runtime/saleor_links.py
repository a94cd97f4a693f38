"""Tenants' Saleor links: which shop (API URL) installed opsgraph, with its JWKS and app token.

A shop is identified by its Saleor API URL; each installed shop is its own tenant. The app
token is stored sealed with the process's `SecretBox` and opened only when a link is read.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from psycopg import AsyncConnection, errors
from psycopg.rows import dict_row

from runtime.secretbox import SecretBox

Conn = AsyncConnection[Any]

_COLUMNS = "tenant_id, api_url, jwks_url, app_id, app_token_sealed, enabled, uninstalled_at"
_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class SaleorLink:
    tenant_id: str
    api_url: str
    jwks_url: str
    app_id: str
    app_token: str = field(repr=False)
    enabled: bool
    uninstalled: bool = False
    """The shop's own `APP_DELETED` arrived (Saleor revoked the token); `enabled` is then
    false too. A link an operator disabled is `enabled = False` and not uninstalled."""


@dataclass(frozen=True)
class SaleorShop:
    """What an operator may see of a link: everything but the token (not even sealed)."""

    tenant_id: str
    api_url: str
    app_id: str
    enabled: bool
    installed_at: datetime
    updated_at: datetime
    disabled_at: datetime | None
    uninstalled_at: datetime | None = None


_SHOP_COLUMNS = (
    "tenant_id, api_url, app_id, enabled, installed_at, updated_at, disabled_at, uninstalled_at"
)


class SaleorLinkConflict(Exception):
    """The tenant an API URL maps to is already linked to another shop."""


def normalize_api_url(api_url: str) -> str:
    """The form a shop's API URL is stored and matched in: lower-case scheme and host."""
    parts = urlsplit(api_url.strip())
    path = parts.path or "/"
    netloc = parts.netloc.lower()
    return f"{parts.scheme.lower()}://{netloc}{path}"


def jwks_url_for(api_url: str) -> str:
    """Saleor publishes its signing keys at the origin's `/.well-known/jwks.json`."""
    parts = urlsplit(api_url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}/.well-known/jwks.json"


def tenant_id_for(api_url: str) -> str:
    """A stable tenant id for a shop: `saleor-<host>[-<port>]`, plus a short hash of the
    path when the API does not live at the usual `/graphql/`."""
    parts = urlsplit(normalize_api_url(api_url))
    host = _SLUG_UNSAFE.sub("-", (parts.hostname or "").lower()).strip("-")
    tenant = f"saleor-{host}"
    if parts.port is not None:
        tenant += f"-{parts.port}"
    if parts.path.rstrip("/") != "/graphql":
        tenant += "-" + hashlib.sha256(parts.path.encode()).hexdigest()[:8]
    return tenant


def _link(row: Any, box: SecretBox) -> SaleorLink:
    return SaleorLink(
        tenant_id=row["tenant_id"],
        api_url=row["api_url"],
        jwks_url=row["jwks_url"],
        app_id=row["app_id"],
        app_token=box.open(row["app_token_sealed"]),
        enabled=row["enabled"],
        uninstalled=row["uninstalled_at"] is not None,
    )


async def _one(conn: Conn, query: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(query, params)
        return await cursor.fetchone()


async def saleor_link(conn: Conn, tenant_id: str, *, box: SecretBox) -> SaleorLink | None:
    """The tenant's Saleor link (enabled or not), its token opened; None when it has none."""
    row = await _one(conn, f"SELECT {_COLUMNS} FROM saleor_apps WHERE tenant_id = %s", (tenant_id,))
    return None if row is None else _link(row, box)


async def link_for_api_url(conn: Conn, api_url: str, *, box: SecretBox) -> SaleorLink | None:
    """The link of the shop with this API URL (enabled or not); None when none is stored."""
    row = await _one(
        conn,
        f"SELECT {_COLUMNS} FROM saleor_apps WHERE api_url = %s",
        (normalize_api_url(api_url),),
    )
    return None if row is None else _link(row, box)


async def save_saleor_link(
    conn: Conn,
    *,
    tenant_id: str,
    api_url: str,
    jwks_url: str,
    app_id: str,
    app_token: str,
    box: SecretBox,
    tenant_name: str | None = None,
) -> SaleorLink:
    """Create the tenant if needed and create or replace its link (enabled), in one
    transaction. Raises `SaleorLinkConflict` when the tenant is linked to another shop."""
    api_url = normalize_api_url(api_url)
    try:
        row = await _upsert(
            conn,
            tenant_id,
            api_url,
            jwks_url,
            app_id,
            box.seal(app_token),
            tenant_name or f"Saleor {urlsplit(api_url).netloc}",
        )
    except errors.UniqueViolation:
        row = None
    if row is None:
        raise SaleorLinkConflict(f"tenant {tenant_id!r} or its shop is linked elsewhere")
    return _link(row, box)


async def _upsert(
    conn: Conn,
    tenant_id: str,
    api_url: str,
    jwks_url: str,
    app_id: str,
    sealed: bytes,
    tenant_name: str,
) -> dict[str, Any] | None:
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (tenant_id, tenant_name),
        )
        return await _one(
            conn,
            f"""
            INSERT INTO saleor_apps AS a
                (tenant_id, api_url, jwks_url, app_id, app_token_sealed)
            VALUES (%s, %s, %s, %s, %s)
            ON CONFLICT (tenant_id) DO UPDATE
                SET jwks_url = EXCLUDED.jwks_url, app_id = EXCLUDED.app_id,
                    app_token_sealed = EXCLUDED.app_token_sealed, enabled = true,
                    updated_at = now(), disabled_at = NULL, uninstalled_at = NULL
                WHERE a.api_url = EXCLUDED.api_url
            RETURNING {_COLUMNS}
            """,
            (tenant_id, api_url, jwks_url, app_id, sealed),
        )


async def mark_uninstalled(conn: Conn, tenant_id: str, *, app_id: str) -> bool:
    """Record the shop's own uninstall of installation `app_id`; True the first time.

    The link is disabled too (an operator's earlier disable keeps its `disabled_at`). A late
    notice about an earlier installation leaves a reinstalled shop linked (another app id).
    """
    cursor = await conn.execute(
        """
        UPDATE saleor_apps
           SET uninstalled_at = now(), updated_at = now(), enabled = false,
               disabled_at = CASE WHEN enabled THEN now() ELSE disabled_at END
         WHERE tenant_id = %s AND app_id = %s AND uninstalled_at IS NULL
        """,
        (tenant_id, app_id),
    )
    return cursor.rowcount == 1


async def list_saleor_shops(conn: Conn) -> list[SaleorShop]:
    """Every shop linked to a tenant, enabled or not, by tenant id; no token is read."""
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(f"SELECT {_SHOP_COLUMNS} FROM saleor_apps ORDER BY tenant_id")
        return [SaleorShop(**row) for row in await cursor.fetchall()]


async def set_saleor_shop_enabled(
    conn: Conn, tenant_id: str, *, enabled: bool
) -> tuple[SaleorShop, bool] | None:
    """An operator turns the tenant's link on or off: the shop as it now is, and whether it
    changed; None when the tenant has no link. Enabling keeps the token sealed at install,
    and never enables a shop that uninstalled the app (Saleor revoked that token)."""
    row = await _one(
        conn,
        f"""
        UPDATE saleor_apps
        SET enabled = %s, updated_at = now(),
            disabled_at = CASE WHEN %s THEN NULL ELSE now() END
        WHERE tenant_id = %s AND enabled <> %s AND (NOT %s OR uninstalled_at IS NULL)
        RETURNING {_SHOP_COLUMNS}
        """,
        (enabled, enabled, tenant_id, enabled, enabled),
    )
    if row is not None:
        return SaleorShop(**row), True
    row = await _one(
        conn, f"SELECT {_SHOP_COLUMNS} FROM saleor_apps WHERE tenant_id = %s", (tenant_id,)
    )
    return None if row is None else (SaleorShop(**row), False)
