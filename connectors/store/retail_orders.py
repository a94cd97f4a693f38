"""Retail operations that change orders: lock the records, apply τ-bench's rule, save.

Each runs in a transaction of its own, or in a savepoint when the caller already holds one
(an effect tool runs inside its ledger transaction), so a rule and its write-back land together.
"""

from __future__ import annotations

from connectors.store import rules
from connectors.store.documents import Conn, Scope, lock_order, save
from connectors.store.rules import Rule, apply_rule


async def change_order(
    conn: Conn,
    tenant_id: str,
    rule: Rule,
    *,
    order_id: str,
    with_products: bool = False,
    **kwargs: object,
) -> str:
    """Lock the order (and its customer, and its products if asked), apply `rule`, save."""
    async with conn.transaction():
        scope = Scope(tenant_id)
        await lock_order(conn, scope, order_id, with_products=with_products)
        result = apply_rule(rule, scope.data, order_id=order_id, **kwargs)
        await save(conn, scope)
        return result


async def cancel_pending_order(conn: Conn, tenant_id: str, *, order_id: str, reason: str) -> str:
    return await change_order(
        conn, tenant_id, rules.cancel_pending_order, order_id=order_id, reason=reason
    )


async def modify_pending_order_address(
    conn: Conn,
    tenant_id: str,
    *,
    order_id: str,
    address1: str,
    address2: str,
    city: str,
    state: str,
    country: str,
    zip: str,
) -> str:
    return await change_order(
        conn,
        tenant_id,
        rules.modify_pending_order_address,
        order_id=order_id,
        address1=address1,
        address2=address2,
        city=city,
        state=state,
        country=country,
        zip=zip,
    )


async def modify_pending_order_payment(
    conn: Conn, tenant_id: str, *, order_id: str, payment_method_id: str
) -> str:
    return await change_order(
        conn,
        tenant_id,
        rules.modify_pending_order_payment,
        order_id=order_id,
        payment_method_id=payment_method_id,
    )


async def modify_pending_order_items(
    conn: Conn,
    tenant_id: str,
    *,
    order_id: str,
    item_ids: list[str],
    new_item_ids: list[str],
    payment_method_id: str,
) -> str:
    return await change_order(
        conn,
        tenant_id,
        rules.modify_pending_order_items,
        order_id=order_id,
        with_products=True,
        item_ids=item_ids,
        new_item_ids=new_item_ids,
        payment_method_id=payment_method_id,
    )


async def return_delivered_order_items(
    conn: Conn, tenant_id: str, *, order_id: str, item_ids: list[str], payment_method_id: str
) -> str:
    return await change_order(
        conn,
        tenant_id,
        rules.return_delivered_order_items,
        order_id=order_id,
        item_ids=item_ids,
        payment_method_id=payment_method_id,
    )


async def exchange_delivered_order_items(
    conn: Conn,
    tenant_id: str,
    *,
    order_id: str,
    item_ids: list[str],
    new_item_ids: list[str],
    payment_method_id: str,
) -> str:
    return await change_order(
        conn,
        tenant_id,
        rules.exchange_delivered_order_items,
        order_id=order_id,
        with_products=True,
        item_ids=item_ids,
        new_item_ids=new_item_ids,
        payment_method_id=payment_method_id,
    )
