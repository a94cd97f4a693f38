"""Recorded events -> eval cases (`opsgraph eval capture`), so a production incident becomes
a regression case.

An event is replayed as it arrived: a webhook's raw body (Saleor, Shopify, Stripe, or a
Standard Webhooks sender), which the harness signs again with the run's own secrets, or a
canonical event as `POST /events` took it. The reviewers' recorded decisions become the
case's scripted decisions, in the order the approvals were raised. What the run did becomes
the expectation: its final status, domains, specialists, the tool calls in order (strict;
arguments as a subset, ignored for a tool whose arguments held personal data) and the rules
of the approvals it raised. Personal data is redacted (`evals/redact.py`) from the body, the
payload and the expected arguments alike, with stable pseudonyms.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from evals.observe import calls_of
from evals.redact import redact
from runtime.database import Pool

SIGNED_SOURCES = frozenset({"saleor", "shopify", "stripe"})
FINISHED = ("done", "failed")
RELATIVE = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.:-]+")


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """`24h`, `7d`, `30m`, `90s` before now, or an ISO date or time (UTC when naive)."""
    match = RELATIVE.match(value.strip())
    if match:
        delta = timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
        return (now or datetime.now(UTC)) - delta
    moment = datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def delivery_of(row: dict[str, Any]) -> dict[str, Any]:
    """How the event arrived, redacted: a webhook to sign again, or a canonical event."""
    raw = bytes(row["raw_body"]) if row["raw_body"] is not None else None
    headers = row["headers"] or {}
    if raw is not None and row["source"] in SIGNED_SOURCES:
        webhook: dict[str, Any] = {"source": row["source"], "body": redact(json.loads(raw))}
        if row["source"] != "stripe" and row["source_event"]:
            webhook["event_name"] = row["source_event"]
        return {"webhook": webhook}
    if raw is not None and "webhook-id" in headers:
        return {
            "webhook": {
                "source": "standard",
                "standard_source": row["source"],
                "body": redact(json.loads(raw)),
            }
        }
    event: dict[str, Any] = {
        "type": row["type"],
        "entity": row["entity"],
        "payload": redact(row["payload"]),
    }
    return {"event": event}


def source_of(row: dict[str, Any]) -> Any:
    """What the event carried (its raw body, else its payload): the names to look for."""
    raw = row["raw_body"]
    return json.loads(bytes(raw)) if raw is not None else row["payload"]


def decisions_of(approvals: Sequence[dict[str, Any]], source: Any = None) -> list[dict[str, Any]]:
    """The recorded decisions as scripts: one per decided approval, matched by tool."""
    scripts: list[dict[str, Any]] = []
    for approval in approvals:
        decision = approval["decision"]
        if not decision:
            continue
        script: dict[str, Any] = {"tool": approval["tool_name"], "type": decision["type"]}
        if decision.get("args") is not None:
            script["args"] = redact(decision["args"], also=source)
        if approval["required_approvers"] > 1:
            script["reviewers"] = approval["required_approvers"]
        scripts.append(script)
    return scripts


def expectation_of(row: dict[str, Any], approvals: Sequence[dict[str, Any]]) -> dict[str, Any]:
    specialists, calls = calls_of(list(row["timeline"] or []))
    source = source_of(row)
    expected_calls: list[dict[str, Any]] = []
    tool_args: dict[str, str] = {"*": "subset"}
    for call in calls:
        args = call["args"] or {}
        redacted = redact(args, also=source)
        if redacted != args:
            tool_args[str(call["name"])] = "ignore"
        expected_calls.append({"name": call["name"], "args": redacted})
    expect: dict[str, Any] = {
        "status": row["status"],
        "domains": list(row["domains"] or []),
        "specialists": specialists,
        "tool_calls": expected_calls,
        "trajectory": "strict",
        "tool_args": tool_args,
        "approvals": sorted(
            {
                str(rule.get("id"))
                for approval in approvals
                if approval["kind"] == "approval"
                for rule in approval["rules"] or []
            }
        ),
    }
    if any(approval["kind"] == "attention" for approval in approvals):
        expect["attention"] = True
    return expect


def case_of(row: dict[str, Any], approvals: Sequence[dict[str, Any]]) -> dict[str, Any]:
    event_id: uuid.UUID = row["event_id"]
    name = UNSAFE_ID.sub("_", str(row["type"] or row["source_event"] or row["source"]))
    received = row["received_at"].astimezone(UTC).isoformat(timespec="seconds")
    case: dict[str, Any] = {
        "id": f"captured-{name}-{event_id.hex[:12]}",
        "kind": "event",
        "description": (
            f"Captured from event {event_id} ({row['source']}, {row['status']}) "
            f"received {received}; personal data redacted."
        ),
        "tags": ["captured", str(row["status"])],
        "deliveries": [delivery_of(row)],
        "expect": expectation_of(row, approvals),
    }
    decisions = decisions_of(approvals, source_of(row))
    if decisions:
        case["decisions"] = decisions
    return case


async def capture_cases(
    pool: Pool,
    *,
    tenant_id: str,
    since: datetime,
    statuses: Sequence[str] = FINISHED,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Cases for the tenant's events received since `since` that ended in `statuses`,
    oldest first."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT event_id, source, source_event, type, entity, payload, raw_body, headers,"
            " status, domains, timeline, received_at FROM events"
            " WHERE tenant_id = %s AND received_at >= %s AND status = ANY(%s)"
            " ORDER BY received_at, event_id LIMIT %s",
            (tenant_id, since, list(statuses), limit),
        )
        events = await cursor.fetchall()
        cursor = await conn.execute(
            "SELECT event_id, tool_name, kind, rules, decision, required_approvers"
            " FROM approvals WHERE tenant_id = %s AND event_id = ANY(%s)"
            " ORDER BY created_at, approval_id",
            (tenant_id, [row["event_id"] for row in events]),
        )
        approvals = await cursor.fetchall()
    by_event: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for approval in approvals:
        by_event.setdefault(approval["event_id"], []).append(dict(approval))
    return [case_of(dict(row), by_event.get(row["event_id"], [])) for row in events]
