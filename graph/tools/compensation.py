"""Undoing an event's reversible effects when a reviewer rejects one of its actions."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from connectors.ledger import LedgerKey, ledger_entries
from graph.context import OpsContext
from graph.tools.env import run_effect
from hitl.audit import append_audit

logger = logging.getLogger(__name__)

Undo = tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]

COMPENSATIONS: Mapping[str, Undo] = {
    "reserve_stock": ("release_stock", lambda args: {"order_id": args["order_id"]}),
    "issue_invoice": ("void_invoice", lambda args: {"order_id": args["order_id"]}),
}
"""A reversible effect -> the tool that undoes it and that tool's arguments."""

ON_REJECT: Mapping[str, Undo] = {
    "create_fulfillment": (
        "cancel_order",
        lambda args: {"order_id": args["order_id"], "reason": "rejected by reviewer"},
    ),
}
"""A rejected action -> what rejecting it means for its subject (the order is cancelled)."""


async def compensate(
    context: OpsContext,
    *,
    tenant_id: str,
    thread_id: str,
    call_id: str,
    rejected: str,
    args: dict[str, Any],
    proposed: str,
) -> list[dict[str, Any]]:
    """Undo the thread's reversible effects, each once (through the ledger); return them.

    `ON_REJECT` applies only when the reviewer rejected the call itself: rejecting a
    different action the policy proposed instead (say, cancelling a suspicious order)
    means "not that", not "cancel".
    """
    done: list[dict[str, Any]] = []
    plan: list[tuple[str, str, dict[str, Any]]] = []
    if rejected in ON_REJECT and proposed == rejected:
        tool, make = ON_REJECT[rejected]
        plan.append((f"compensate/{call_id}", tool, make(args)))
    for entry in await ledger_entries(context.pool, tenant_id=tenant_id, thread_id=thread_id):
        if entry["tool_name"] in COMPENSATIONS:
            tool, make = COMPENSATIONS[entry["tool_name"]]
            plan.append((f"compensate/{entry['tool_call_id']}", tool, make(entry["args"])))
    for key_id, tool, tool_args in plan:
        result = await run_effect(
            context.pool,
            LedgerKey(tenant_id, thread_id, key_id),
            context.tools.effect(tool),
            tool_args,
            also=audit_compensation(tenant_id, f"{thread_id}/{key_id}", tool, tool_args, rejected),
            secrets=context.secrets,
        )
        done.append({"tool": tool, "args": tool_args, "result": result})
        logger.info("compensated %s with %s(%s)", rejected, tool, tool_args)
    return done


def audit_compensation(
    tenant_id: str, subject: str, tool: str, args: dict[str, Any], rejected: str
) -> Callable[[AsyncConnection[DictRow]], Awaitable[None]]:
    """The audit entry, written in the compensation's own ledger transaction (so once)."""

    async def write(conn: AsyncConnection[DictRow]) -> None:
        await append_audit(
            conn,
            tenant_id=tenant_id,
            actor="policy",
            action="compensation",
            subject=subject,
            details={"tool": tool, "args": args, "rejected": rejected},
        )

    return write
