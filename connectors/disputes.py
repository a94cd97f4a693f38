"""Payment disputes: refunds on the order frozen, and the evidence drafted for a reviewer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from connectors.engagement import customer_email
from connectors.orders import get_order, order_total, save_order

Conn = AsyncConnection[DictRow]


async def freeze_refunds(
    conn: Conn,
    *,
    tenant_id: str,
    order_id: str,
    dispute_id: str,
    charge: str | None,
    amount: Decimal | None,
    currency: str | None,
    reason: str | None,
) -> dict[str, Any] | str:
    """Mark the order disputed (the fact the refund policy reads) and record the dispute."""
    order = await get_order(conn, tenant_id=tenant_id, order_id=order_id, lock=True)
    if order is None:
        return f"Error: order {order_id} is not in the store"
    order["disputed"] = True
    disputes = [d for d in order.get("disputes", []) if d != dispute_id]
    order["disputes"] = [*disputes, dispute_id]
    await save_order(conn, tenant_id=tenant_id, order=order)
    await conn.execute(
        """
        INSERT INTO store_disputes (tenant_id, dispute_id, order_id, charge, amount, currency,
                                    reason)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (tenant_id, dispute_id) DO NOTHING
        """,
        (tenant_id, dispute_id, order_id, charge, amount, currency, reason),
    )
    return {"order_id": order_id, "dispute_id": dispute_id, "refunds_frozen": True}


async def customer_messages(conn: Conn, *, tenant_id: str, email: str) -> list[dict[str, Any]]:
    """What was sent to the customer: subject, when and whether it went out (no bodies)."""
    cursor = await conn.execute(
        """
        SELECT subject, status, created_at FROM email_outbox
         WHERE tenant_id = %s AND recipient = %s ORDER BY created_at, subject LIMIT 50
        """,
        (tenant_id, email),
    )
    return [
        {"subject": r["subject"], "status": r["status"], "at": r["created_at"].isoformat()}
        for r in await cursor.fetchall()
    ]


async def draft_evidence(
    conn: Conn, *, tenant_id: str, dispute_id: str, order_id: str, history: dict[str, Any]
) -> dict[str, Any] | str:
    """The evidence pack from the store (order, fulfilment and tracking, the customer's
    history, the messages sent), saved on the dispute as a draft for a reviewer."""
    order = await get_order(conn, tenant_id=tenant_id, order_id=order_id)
    if order is None:
        return f"Error: order {order_id} is not in the store"
    email = await customer_email(conn, tenant_id=tenant_id, user_id=str(order["user_id"]))
    fulfilments = order.get("fulfillments", [])
    evidence = {
        "order": {
            "order_id": order_id,
            "status": order["status"],
            "total": order_total(order),
            "items": [{"name": i["name"], "price": i["price"]} for i in order["items"]],
            "payments": order.get("payment_history", []),
        },
        "fulfilment": {
            "shipments": len(fulfilments),
            "tracking": [t for f in fulfilments for t in f.get("tracking_id", [])],
        },
        "customer": {"id": order["user_id"], "email": email, **history},
        "messages": await customer_messages(conn, tenant_id=tenant_id, email=email or ""),
    }
    cursor = await conn.execute(
        """
        UPDATE store_disputes SET evidence = %s, status = 'evidence_draft', updated_at = now()
         WHERE tenant_id = %s AND dispute_id = %s RETURNING dispute_id
        """,
        (Jsonb(evidence), tenant_id, dispute_id),
    )
    if await cursor.fetchone() is None:
        return f"Error: dispute {dispute_id} is not recorded; freeze refunds first"
    return {"dispute_id": dispute_id, "status": "evidence_draft", "evidence": evidence}
