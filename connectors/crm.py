"""Leads and customer profiles."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

Conn = AsyncConnection[DictRow]


async def save_lead_score(conn: Conn, *, tenant_id: str, lead: dict[str, Any]) -> dict[str, Any]:
    """The scored lead's details win over a row its assignment (run beside it) may have made
    first from the payload: a rescore carries the email a reviewer corrected."""
    await conn.execute(
        """
        INSERT INTO store_leads (tenant_id, lead_id, email, company, country, score, grade, reasons)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (tenant_id, lead_id) DO UPDATE
           SET email = EXCLUDED.email,
               company = COALESCE(EXCLUDED.company, store_leads.company),
               country = COALESCE(EXCLUDED.country, store_leads.country),
               score = EXCLUDED.score, grade = EXCLUDED.grade, reasons = EXCLUDED.reasons,
               updated_at = now()
        """,
        (
            tenant_id,
            lead["lead_id"],
            lead["email"],
            lead.get("company"),
            lead.get("country"),
            lead["score"],
            lead["grade"],
            Jsonb(lead.get("reasons", [])),
        ),
    )
    return {"lead_id": lead["lead_id"], "score": lead["score"], "grade": lead["grade"]}


async def assign_owner(
    conn: Conn, *, tenant_id: str, lead_id: str, email: str, owner: str
) -> dict[str, Any]:
    await conn.execute(
        """
        INSERT INTO store_leads (tenant_id, lead_id, email, owner) VALUES (%s, %s, %s, %s)
        ON CONFLICT (tenant_id, lead_id) DO UPDATE SET owner = EXCLUDED.owner, updated_at = now()
        """,
        (tenant_id, lead_id, email, owner),
    )
    return {"lead_id": lead_id, "owner": owner}


async def owner_loads(conn: Conn, *, tenant_id: str, owners: list[str]) -> dict[str, int]:
    cursor = await conn.execute(
        "SELECT owner, count(*) AS n FROM store_leads WHERE tenant_id = %s AND owner = ANY(%s)"
        " GROUP BY owner",
        (tenant_id, owners),
    )
    loads = dict.fromkeys(owners, 0)
    loads |= {row["owner"]: int(row["n"]) for row in await cursor.fetchall()}
    return loads


async def customer_orders(
    conn: Conn, *, tenant_id: str, customer: str, exclude_order: str | None = None
) -> list[float]:
    """Totals of a customer's orders in the store (by user id or email)."""
    cursor = await conn.execute(
        """
        SELECT (SELECT coalesce(sum((i->>'price')::numeric
                                    * coalesce((i->>'quantity')::numeric, 1)), 0)
                  FROM json_array_elements(o.doc->'items') i) AS total
          FROM store_orders o
         WHERE o.tenant_id = %s AND o.status <> 'cancelled' AND o.order_id <> %s
           AND (o.user_id = %s OR o.user_id IN (
                SELECT user_id FROM store_users WHERE tenant_id = %s AND doc->>'email' = %s))
        """,
        (tenant_id, exclude_order or "", customer, tenant_id, customer),
    )
    return [float(row["total"]) for row in await cursor.fetchall()]


async def save_profile(
    conn: Conn,
    *,
    tenant_id: str,
    customer: str,
    segment: str,
    value: float,
    orders: int,
    welcomed: bool,
) -> dict[str, Any]:
    await conn.execute(
        """
        INSERT INTO store_customer_profiles
               (tenant_id, customer_ref, segment, lifetime_value, order_count, welcomed_at)
        VALUES (%s, %s, %s, %s, %s, CASE WHEN %s THEN now() END)
        ON CONFLICT (tenant_id, customer_ref) DO UPDATE
           SET segment = EXCLUDED.segment, lifetime_value = EXCLUDED.lifetime_value,
               order_count = EXCLUDED.order_count,
               welcomed_at = coalesce(store_customer_profiles.welcomed_at, EXCLUDED.welcomed_at),
               updated_at = now()
        """,
        (tenant_id, customer, segment, Decimal(str(value)), orders, welcomed),
    )
    return {
        "customer": customer,
        "segment": segment,
        "lifetime_value": round(value, 2),
        "order_count": orders,
    }
