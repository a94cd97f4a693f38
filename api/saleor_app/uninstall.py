"""`APP_DELETED`: a shop uninstalled opsgraph, so its link stops accepting deliveries."""

from __future__ import annotations

import json
import logging
from typing import Any

from api.saleor_app.audit import audit_shop
from api.webhooks.claims import require_fresh, saleor_issued_at
from api.webhooks.errors import MalformedPayload
from api.webhooks.saleor import SaleorShops
from runtime.database import Pool
from runtime.saleor_links import SaleorLink, mark_uninstalled

logger = logging.getLogger(__name__)

UNINSTALL_TYPENAME = "AppDeleted"


def names_this_app(raw: bytes, link: SaleorLink, *, max_age_s: float) -> bool:
    """The signed body is a fresh `AppDeleted` about the app this link was installed as.

    Saleor sends APP_DELETED for any app removed from the shop; only our own app's
    deletion (its id, as `{ app { id } }` answered at install) ends the link, and only
    within the replay window, so an old notice cannot unlink a reinstalled shop.
    """
    try:
        document: Any = json.loads(raw)
    except ValueError:
        return False
    if not isinstance(document, dict) or document.get("__typename") != UNINSTALL_TYPENAME:
        return False
    app = document.get("app")
    if not isinstance(app, dict) or app.get("id") != link.app_id:
        return False
    try:
        issued = saleor_issued_at(document)
        if issued is None:
            return False
        require_fresh(issued, max_age_s=max_age_s, now=None)
    except MalformedPayload:
        return False
    return True


async def uninstall(
    pool: Pool, shops: SaleorShops, link: SaleorLink, raw: bytes, *, max_age_s: float
) -> bool:
    """Record the shop's uninstall (and disable its link) if this verified delivery says our
    app was deleted — also while an operator has the shop disabled, so that enabling it
    later is refused: Saleor has revoked the token."""
    if not names_this_app(raw, link, max_age_s=max_age_s):
        return False
    async with pool.connection() as conn, conn.transaction():
        disabled = await mark_uninstalled(conn, link.tenant_id, app_id=link.app_id)
        if disabled:
            await audit_shop(conn, link, "saleor_link.uninstalled")
    shops.forget(link.tenant_id)
    if disabled:
        logger.info(
            "saleor shop %s uninstalled the app; tenant %s unlinked", link.api_url, link.tenant_id
        )
    return disabled
