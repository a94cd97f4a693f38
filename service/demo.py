"""`opsgraph demo`: sample events through the public HTTP path, then a table of what ran."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import httpx

from runtime.apikeys import Role, create_key
from runtime.events import TERMINAL_STATUSES, EventStatus
from runtime.resources import Resources
from service.demo_webhooks import Delivery

SAMPLE_EVENTS: tuple[dict[str, Any], ...] = (
    {
        "type": "order.created",
        "entity": "order:W2378156",
        "payload": {
            "order_id": "W2378156",
            "total": 1289.50,
            "currency": "USD",
            "customer": {"order_count": 0, "account_age_days": 1},
            "billing_address": {"country": "USA"},
            "shipping_address": {"country": "USA"},
            "payment_method": "credit_card",
        },
    },
    {
        "type": "lead.created",
        "entity": "lead:acme-ops",
        "payload": {
            "email": "ops@acme.example",
            "company": "Acme",
            "employees": 240,
            "budget": 25000,
            "source": "demo_request",
        },
    },
    {
        "type": "order.paid",
        "entity": "order:W2378157",
        "payload": {
            "order_id": "W2378157",
            "currency": "USD",
            "lines": [
                {
                    "sku": "1151293680",
                    "name": "Mechanical Keyboard",
                    "quantity": 1,
                    "unit_price": "272.33",
                },
                {"sku": "4602305039", "name": "Desk Lamp", "quantity": 2, "unit_price": "49.90"},
            ],
        },
    },
    {
        "type": "product.created",
        "entity": "product:6086499569",
        "payload": {
            "product_id": "6086499569",
            "name": "Water Bottle",
            "description": "A stainless steel water bottle that keeps drinks cold for 24 hours.",
            "brand": "Opsgraph Outfitters",
            "price": 24.5,
            "stock": 120,
        },
    },
    {
        "type": "product.updated",
        "entity": "product:8310926033",
        "payload": {"product_id": "8310926033", "name": "Water Bottle 1L", "stock": 0},
    },
)

WAIT_STATUSES = TERMINAL_STATUSES | {EventStatus.AWAITING_APPROVAL}


async def demo_key(resources: Resources, role: Role = Role.OPERATOR) -> str:
    """A fresh key for the demo's own requests (or for its reviewer)."""
    _, secret = await create_key(
        resources.pool,
        tenant_id="default",
        name=f"demo-{role.value}-{int(time.time())}",
        role=role,
    )
    return secret


async def send_deliveries(
    base_url: str, key: str, deliveries: Sequence[Delivery], *, timeout_s: float = 60.0
) -> list[dict[str, Any]]:
    """Deliver each signed webhook, then poll every event until it settles."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        ids = []
        for path, body, headers in deliveries:
            answer = await client.post(path, content=body, headers=headers)
            answer.raise_for_status()
            ids.append(answer.json()["event_id"])
        return await wait_settled(client, key, ids, timeout_s=timeout_s)


async def wait_settled(
    client: httpx.AsyncClient, key: str, ids: Sequence[str], *, timeout_s: float
) -> list[dict[str, Any]]:
    """Each event's view once it is done, waiting for approval, or otherwise finished."""
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + timeout_s
    views: dict[str, dict[str, Any]] = {}
    while True:
        for event_id in ids:
            if event_id not in views:
                view = (await client.get(f"/events/{event_id}", headers=headers)).json()
                if EventStatus(view["status"]) in WAIT_STATUSES or time.monotonic() > deadline:
                    views[event_id] = view
        if len(views) == len(ids):
            return [views[event_id] for event_id in ids]
        await asyncio.sleep(0.1)


def render_table(views: Sequence[dict[str, Any]]) -> str:
    """sender -> event -> domain -> specialist -> tools -> status: a row per specialist."""
    header = ("from", "event", "domain", "specialist", "tools", "status")
    rows = [header]
    for view in views:
        first = (
            f"{view['source']}/{view['source_event'] or '-'}",
            f"{view['type']} {view['entity']}",
        )
        outcomes = view["timeline"] or [{"domain": "-", "specialist": "-", "tool_calls": []}]
        for index, outcome in enumerate(outcomes):
            rows.append(
                (
                    *(first if index == 0 else ("", "")),
                    outcome["domain"],
                    outcome["specialist"],
                    ", ".join(call["name"] for call in outcome["tool_calls"]) or "-",
                    view["status"] if index == 0 else "",
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def render_outcomes(views: Sequence[dict[str, Any]], *, width: int = 150) -> str:
    """What each specialist concluded, one line each."""
    lines = []
    for view in views:
        lines.append(f"{view['type']} {view['entity']}:")
        for outcome in view["timeline"]:
            text = f"  {outcome['specialist']}: {outcome['summary']}"
            lines.append(text if len(text) <= width else text[: width - 1] + "…")
    return "\n".join(lines)
