"""Integration tools."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from connectors.content import apply_listing
from graph.tools.base import ToolEnv, effect_tool, pure_tool, reader_tool

DEFAULT_CHANNELS = ("webshop", "marketplace", "pos")


class ChannelSyncInput(BaseModel):
    """A product's current listing state, to be pushed to the sales channels."""

    product_id: str
    sku: str | None = None
    name: str | None = None
    price: float | None = Field(default=None, ge=0)
    stock: int | None = Field(default=None, ge=0)
    channels: list[str] = Field(default_factory=lambda: list(DEFAULT_CHANNELS), min_length=1)


def plan_channel_sync(**kwargs: Any) -> dict[str, Any]:
    """Plan the per-channel updates for a product; out of stock locks every channel."""
    product = ChannelSyncInput(**kwargs)
    locked = product.stock == 0
    fields = {
        key: value
        for key, value in {
            "name": product.name,
            "price": product.price,
            "stock": product.stock,
        }.items()
        if value is not None
    }
    return {
        "product_id": product.product_id,
        "updates": [
            {"channel": channel, "action": "lock" if locked else "upsert", "fields": fields}
            for channel in product.channels
        ],
    }


plan_channel_sync_tool = pure_tool(
    plan_channel_sync,
    name="plan_channel_sync",
    description=plan_channel_sync.__doc__ or "",
    args_schema=ChannelSyncInput,
)


class ChannelUpdates(BaseModel):
    """The per-channel updates plan_channel_sync planned, to apply."""

    product_id: str
    updates: list[dict[str, Any]] = Field(min_length=1)


async def push(env: ToolEnv, args: ChannelUpdates) -> dict[str, Any]:
    applied = [
        await apply_listing(
            env.conn,
            tenant_id=env.tenant_id,
            channel=str(u["channel"]),
            product_id=args.product_id,
            fields=dict(u.get("fields") or {}),
            lock=u.get("action") == "lock",
        )
        for u in args.updates
    ]
    return {"product_id": args.product_id, "applied": applied}


push_channel_updates_tool = effect_tool(
    name="push_channel_updates",
    description="Apply planned listing updates (upsert or lock) on each sales channel.",
    args_schema=ChannelUpdates,
    body=push,
)


class FailedEventsQuery(BaseModel):
    """How many dead letters to look at."""

    limit: int = Field(default=50, ge=1, le=500)


async def failed_events(env: ToolEnv, args: FailedEventsQuery) -> list[dict[str, Any]]:
    cursor = await env.conn.execute(
        "SELECT event_id, source, type, entity, error, attempts FROM events"
        " WHERE tenant_id = %s AND status = 'failed' ORDER BY received_at LIMIT %s",
        (env.tenant_id, args.limit),
    )
    return [{**row, "event_id": str(row["event_id"])} for row in await cursor.fetchall()]


list_failed_events_tool = reader_tool(
    name="list_failed_events",
    description="The tenant's failed events (dead letters) with their last error.",
    args_schema=FailedEventsQuery,
    body=failed_events,
)

TRANSIENT_MARKERS = (
    "timeout",
    "timed out",
    "unavailable",
    "connection",
    "503",
    "502",
    "429",
    "temporarily",
    "reset by peer",
)


class Failures(BaseModel):
    """Dead letters to classify (as list_failed_events returns them)."""

    events: list[dict[str, Any]]


def classify_failures(**kwargs: Any) -> dict[str, Any]:
    """Sort dead letters into transient (propose a replay) and permanent (needs a person)."""
    failures = Failures(**kwargs)
    transient: list[dict[str, Any]] = []
    permanent: list[dict[str, Any]] = []
    for event in failures.events:
        error = str(event.get("error") or "").lower()
        target = transient if any(m in error for m in TRANSIENT_MARKERS) else permanent
        target.append({"event_id": event.get("event_id"), "error": event.get("error")})
    return {
        "replay": transient,
        "investigate": permanent,
        "command": "opsgraph events replay " + " ".join(str(e["event_id"]) for e in transient)
        if transient
        else None,
    }


classify_failures_tool = pure_tool(
    classify_failures,
    name="classify_failures",
    description=classify_failures.__doc__ or "",
    args_schema=Failures,
)

INTEGRATION_TOOLS = (
    plan_channel_sync_tool,
    push_channel_updates_tool,
    list_failed_events_tool,
    classify_failures_tool,
)
