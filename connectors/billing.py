"""Invoices with per-tenant numbering, and failed-payment retry schedules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

Conn = AsyncConnection[DictRow]

RETRY_DAYS = (1, 3, 7)


async def next_invoice_number(conn: Conn, *, tenant_id: str) -> str:
    cursor = await conn.execute(
        """
        INSERT INTO store_invoice_numbers (tenant_id, last_number) VALUES (%s, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET last_number = store_invoice_numbers.last_number + 1
        RETURNING last_number
        """,
        (tenant_id,),
    )
    row = await cursor.fetchone()
    number = int(row["last_number"]) if row else 1
    return f"INV-{number:06d}"


async def issue_invoice(conn: Conn, *, tenant_id: str, draft: dict[str, Any]) -> dict[str, Any]:
    """Store a drafted invoice under the next number; one issued invoice per order."""
    cursor = await conn.execute(
        "SELECT invoice_id FROM store_invoices"
        " WHERE tenant_id = %s AND order_id = %s AND status = 'issued'",
        (tenant_id, draft["order_id"]),
    )
    existing = await cursor.fetchone()
    if existing is not None:
        return {
            "invoice_id": existing["invoice_id"],
            "order_id": draft["order_id"],
            "status": "issued",
            "already_issued": True,
        }
    invoice_id = await next_invoice_number(conn, tenant_id=tenant_id)
    await conn.execute(
        """
        INSERT INTO store_invoices (tenant_id, invoice_id, order_id, status, currency, lines,
                                    subtotal, tax, total)
        VALUES (%s, %s, %s, 'issued', %s, %s, %s, %s, %s)
        """,
        (
            tenant_id,
            invoice_id,
            draft["order_id"],
            draft["currency"],
            Jsonb(draft["lines"]),
            Decimal(draft["subtotal"]),
            Decimal(draft["tax"]),
            Decimal(draft["total"]),
        ),
    )
    return {
        "invoice_id": invoice_id,
        "order_id": draft["order_id"],
        "status": "issued",
        "total": draft["total"],
        "currency": draft["currency"],
    }


async def void_invoices(conn: Conn, *, tenant_id: str, order_id: str) -> list[str]:
    """Void an order's issued invoices (the compensation of `issue_invoice`)."""
    cursor = await conn.execute(
        "UPDATE store_invoices SET status = 'void'"
        " WHERE tenant_id = %s AND order_id = %s AND status = 'issued' RETURNING invoice_id",
        (tenant_id, order_id),
    )
    return [row["invoice_id"] for row in await cursor.fetchall()]


async def is_paid(conn: Conn, *, tenant_id: str, invoice_ref: str) -> bool:
    """Whether a payment of this invoice is on record (senders do not keep order: a late
    failure notice must not start dunning a paid invoice)."""
    cursor = await conn.execute(
        "SELECT 1 FROM store_invoice_payments WHERE tenant_id = %s AND invoice_ref = %s",
        (tenant_id, invoice_ref),
    )
    return await cursor.fetchone() is not None


async def mark_paid(
    conn: Conn,
    *,
    tenant_id: str,
    invoice_ref: str,
    order_id: str | None,
    amount: Decimal | None,
    currency: str | None,
) -> dict[str, Any]:
    """Record the payment, mark our invoice paid (by number, or the order's issued one) and
    cancel the retries still scheduled for it."""
    await conn.execute(
        """
        INSERT INTO store_invoice_payments (tenant_id, invoice_ref, amount, currency)
        VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING
        """,
        (tenant_id, invoice_ref, amount, currency),
    )
    cursor = await conn.execute(
        """
        UPDATE store_invoices SET status = 'paid', paid_at = now()
         WHERE tenant_id = %s AND status = 'issued'
           AND (invoice_id = %s OR order_id = %s)
        RETURNING invoice_id
        """,
        (tenant_id, invoice_ref, order_id or ""),
    )
    invoices = [row["invoice_id"] for row in await cursor.fetchall()]
    cursor = await conn.execute(
        """
        UPDATE store_payment_retries SET status = 'cancelled'
         WHERE tenant_id = %s AND invoice_ref = ANY(%s) AND status = 'scheduled'
        RETURNING attempt
        """,
        (tenant_id, [invoice_ref, *invoices]),
    )
    cancelled = sorted(int(row["attempt"]) for row in await cursor.fetchall())
    return {
        "invoice_ref": invoice_ref,
        "invoices_paid": invoices,
        "retries_cancelled": cancelled,
    }


async def schedule_retries(
    conn: Conn, *, tenant_id: str, invoice_ref: str, failed_attempts: int
) -> list[dict[str, Any]]:
    """The remaining retry dates after `failed_attempts` failures, at 1, 3 and 7 days;
    none for an invoice already paid."""
    if await is_paid(conn, tenant_id=tenant_id, invoice_ref=invoice_ref):
        return []
    now = datetime.now(UTC)
    schedule = [
        {"attempt": attempt, "retry_at": (now + timedelta(days=days)).isoformat()}
        for attempt, days in enumerate(RETRY_DAYS, start=1)
        if attempt > failed_attempts - 1
    ]
    for entry in schedule:
        await conn.execute(
            """
            INSERT INTO store_payment_retries (tenant_id, invoice_ref, attempt, retry_at)
            VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING
            """,
            (tenant_id, invoice_ref, entry["attempt"], entry["retry_at"]),
        )
    return schedule
