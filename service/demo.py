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


async def demo_key(resources: Resources) -> str:
    """A fresh operator key for the demo's own requests."""
    _, secret = await create_key(
        resources.pool, tenant_id="default", name=f"demo-{int(time.time())}", role=Role.OPERATOR
    )
    return secret


async def send_samples(base_url: str, key: str, *, timeout_s: float = 60.0) -> list[dict[str, Any]]:
    """POST every sample event, then poll each until it settles; return the final views."""
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as client:
        ids = []
        for sample in SAMPLE_EVENTS:
            answer = await client.post("/events", json=sample)
            answer.raise_for_status()
            ids.append(answer.json()["event_id"])
        deadline = time.monotonic() + timeout_s
        views: dict[str, dict[str, Any]] = {}
        while len(views) < len(ids) and time.monotonic() < deadline:
            for event_id in ids:
                if event_id in views:
                    continue
                view = (await client.get(f"/events/{event_id}")).json()
                if EventStatus(view["status"]) in WAIT_STATUSES:
                    views[event_id] = view
            await asyncio.sleep(0.1)
        for event_id in ids:
            views.setdefault(event_id, (await client.get(f"/events/{event_id}")).json())
        return [views[event_id] for event_id in ids]


def render_table(views: Sequence[dict[str, Any]]) -> str:
    """event -> domains -> specialists -> tools -> status, one row per event."""
    header = ("event", "domains", "specialists", "tools", "status")
    rows = [header]
    for view in views:
        outcomes = view["timeline"]
        rows.append(
            (
                f"{view['type']} {view['entity']}",
                ", ".join(view["domains"]) or "-",
                ", ".join(o["specialist"] for o in outcomes) or "-",
                ", ".join(c["name"] for o in outcomes for c in o["tool_calls"]) or "-",
                view["status"],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
