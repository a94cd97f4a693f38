"""What a shop itself did to its link (install, uninstall), in its tenant's audit chain."""

from __future__ import annotations

from typing import Any, Literal

from psycopg import AsyncConnection

from hitl.audit import SALEOR_ACTOR, append_audit
from runtime.saleor_links import SaleorLink


async def audit_shop(
    conn: AsyncConnection[Any],
    link: SaleorLink,
    action: Literal["saleor_link.installed", "saleor_link.uninstalled"],
) -> None:
    """One entry: the link's API URL and app id, never its token."""
    await append_audit(
        conn,
        tenant_id=link.tenant_id,
        actor=SALEOR_ACTOR,
        action=action,
        subject=f"saleor_link:{link.tenant_id}",
        details={"api_url": link.api_url, "app_id": link.app_id},
    )
