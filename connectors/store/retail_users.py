"""Retail operations that change a user's own record."""

from __future__ import annotations

from connectors.store import rules
from connectors.store.documents import Conn, Scope, lock_user, save
from connectors.store.rules import apply_rule


async def modify_user_address(
    conn: Conn,
    tenant_id: str,
    *,
    user_id: str,
    address1: str,
    address2: str,
    city: str,
    state: str,
    country: str,
    zip: str,
) -> str:
    async with conn.transaction():
        scope = Scope(tenant_id)
        await lock_user(conn, scope, user_id)
        result = apply_rule(
            rules.modify_user_address,
            scope.data,
            user_id=user_id,
            address1=address1,
            address2=address2,
            city=city,
            state=state,
            country=country,
            zip=zip,
        )
        await save(conn, scope)
        return result
