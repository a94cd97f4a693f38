"""What a case's run left behind: the primary event's row, approvals, and the store."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from runtime.database import Pool

END_STATE_TABLES = frozenset(
    {
        "events",
        "approvals",
        "audit_log",
        "email_outbox",
        "tool_ledger",
        "store_channel_listings",
        "store_content",
        "store_crm_tasks",
        "store_crm_touchpoints",
        "store_customer_profiles",
        "store_disputes",
        "store_invoices",
        "store_invoice_payments",
        "store_leads",
        "store_payment_retries",
        "store_reorders",
        "store_reservations",
        "store_stock",
        "store_subscriptions",
    }
)
"""Tables an expected end state may name: every one carries `tenant_id`."""

DOCUMENT_TABLES = {"orders": "store_orders", "users": "store_users", "products": "store_products"}
DOCUMENT_KEYS = {"orders": "order_id", "users": "user_id", "products": "product_id"}


@dataclass
class Observation:
    """Everything the scoring looks at, as plain JSON-able values."""

    status: str | None = None
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    specialists: list[str] = field(default_factory=list)
    intent: str | None = None
    turns: list[dict[str, Any]] = field(default_factory=list)
    chunks: list[int] = field(default_factory=list)
    """The tenant's knowledge-base chunk ids (citations are checked against them)."""
    """chat: each turn's reply and intent."""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    reply: str = ""
    end_state: dict[str, Any] = field(default_factory=dict)
    model_calls: int = 0
    tokens: int = 0
    latency_s: float = 0.0
    error: str | None = None
    error_kind: str | None = None


def calls_of(timeline: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Specialists (in order, once each) and their tool calls, from a run's timeline."""
    specialists: list[str] = []
    calls: list[dict[str, Any]] = []
    for outcome in timeline:
        name = str(outcome.get("specialist") or "?")
        if name not in specialists:
            specialists.append(name)
        for record in outcome.get("tool_calls") or []:
            calls.append(
                {
                    "name": record.get("name"),
                    "args": record.get("args") or {},
                    "status": record.get("status"),
                    "specialist": name,
                }
            )
    return specialists, calls


async def read_event(pool: Pool, tenant_id: str, event_id: uuid.UUID) -> dict[str, Any] | None:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT status, domains, timeline, summary, error FROM events"
            " WHERE tenant_id = %s AND event_id = %s",
            (tenant_id, event_id),
        )
        return await cursor.fetchone()


async def read_approvals(pool: Pool, tenant_id: str) -> list[dict[str, Any]]:
    """Every approval and attention item the case raised, oldest first."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT approval_id, kind, tool_name, rules, status, decision FROM approvals"
            " WHERE tenant_id = %s ORDER BY created_at, approval_id",
            (tenant_id,),
        )
        rows = await cursor.fetchall()
    return [
        {
            "approval_id": row["approval_id"],
            "kind": row["kind"],
            "tool": row["tool_name"],
            "rules": [str(rule.get("id")) for rule in row["rules"] or []],
            "status": row["status"],
            "decision": (row["decision"] or {}).get("type"),
        }
        for row in rows
    ]


async def read_end_state(pool: Pool, tenant_id: str, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of the store the expected end state names, and nothing else."""
    found: dict[str, Any] = {}
    async with pool.connection() as conn:
        for part, table in DOCUMENT_TABLES.items():
            ids = list((wanted.get(part) or {}).keys())
            if not ids:
                continue
            query = sql.SQL("SELECT {key} AS id, doc FROM {table} WHERE tenant_id = %s").format(
                key=sql.Identifier(DOCUMENT_KEYS[part]), table=sql.Identifier(table)
            )
            query += sql.SQL(" AND {key} = ANY(%s)").format(key=sql.Identifier(DOCUMENT_KEYS[part]))
            cursor = await conn.execute(query, (tenant_id, ids))
            found[part] = {row["id"]: row["doc"] for row in await cursor.fetchall()}
        tables = {*(wanted.get("rows") or {}), *(wanted.get("counts") or {})}
        unknown = sorted(tables - END_STATE_TABLES)
        if unknown:
            raise ValueError(f"end state names tables it may not read: {unknown}")
        for table in sorted(tables):
            cursor = await conn.execute(
                sql.SQL("SELECT to_jsonb(t) AS row FROM {table} t WHERE tenant_id = %s").format(
                    table=sql.Identifier(table)
                ),
                (tenant_id,),
            )
            rows = [row["row"] for row in await cursor.fetchall()]
            found.setdefault("rows", {})[table] = rows
            found.setdefault("counts", {})[table] = len(rows)
    return found
