"""The commerce-backend seam: the local store, or the tenant's Saleor shop (`backend_for`)."""

from __future__ import annotations

import httpx
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from connectors.commerce.backend import CommerceBackend, Result, StockLevel
from connectors.commerce.local import LocalBackend
from connectors.commerce.saleor import SaleorBackend
from runtime.saleor_links import saleor_link
from runtime.secretbox import SecretBox

__all__ = [
    "CommerceBackend",
    "LocalBackend",
    "Result",
    "SaleorBackend",
    "StockLevel",
    "backend_for",
]


class SaleorLinkLocked(RuntimeError):
    """The tenant has a Saleor link but this process holds no key to open its token."""


async def backend_for(
    conn: AsyncConnection[DictRow],
    tenant_id: str,
    *,
    secrets: SecretBox | None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CommerceBackend:
    """The tenant's Saleor shop when it has an enabled Saleor link, else the local store.

    Without `secrets` no token can be opened; a linked tenant then fails loudly rather than
    having its actions land in the local store where nobody would see them.
    """
    if secrets is None:
        cursor = await conn.execute(
            "SELECT 1 FROM saleor_apps WHERE tenant_id = %s AND enabled", (tenant_id,)
        )
        if await cursor.fetchone() is not None:
            raise SaleorLinkLocked(
                f"tenant {tenant_id!r} uses Saleor: the run needs the secret box"
            )
        return LocalBackend(conn, tenant_id)
    link = await saleor_link(conn, tenant_id, box=secrets)
    if link is None or not link.enabled:
        return LocalBackend(conn, tenant_id)
    return SaleorBackend(link, conn, transport=transport)
